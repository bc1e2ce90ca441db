// Package stripetest runs stripe-mock (github.com/stripe/stripe-mock,
// Stripe's own mock of its API, answering every endpoint from Stripe's
// OpenAPI specification) for tests, and signs webhook payloads with
// stripe-go's own helper.
//
// stripe-mock is found on PATH or in $(go env GOPATH)/bin, and installed
// with `go install` when missing (make test and .ci/run install it first).
// One stripe-mock serves a whole test process, on a loopback port of its
// own. stripe-mock keeps no state across calls: a created object is not
// found again with the id it was given, which is why the tests drive state
// changes with signed webhook events, as Stripe itself does.
package stripetest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

// Version is the stripe-mock installed when none is found.
const Version = "v0.203.0"

// Keys for tests (stripe-mock accepts any sk_test_ key).
const (
	SecretKey      = "sk_test_jishi0123456789abcdef"
	PublishableKey = "pk_test_jishi0123456789abcdef"
	WebhookSecret  = "whsec_jishitest0123456789abcdef"
)

var (
	once     sync.Once
	baseURL  string
	startErr error
)

var listening = regexp.MustCompile(`Listening for HTTP at address: (\S+)`)

// URL returns the address of the process's stripe-mock, starting it on
// first use; the test fails when it cannot run.
func URL(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { baseURL, startErr = start() })
	if startErr != nil {
		tb.Fatalf("stripe-mock: %v", startErr)
	}
	return baseURL
}

// Binary returns stripe-mock's path, installing it when missing.
func Binary() (string, error) {
	if p, err := exec.LookPath("stripe-mock"); err == nil {
		return p, nil
	}
	gopath, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOPATH: %w", err)
	}
	p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "stripe-mock")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "install", "github.com/stripe/stripe-mock@"+Version).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go install stripe-mock: %v: %s", err, out)
	}
	return p, nil
}

func start() (string, error) {
	bin, err := Binary()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	// stripe-mock dies with the test process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case addr := <-found:
		return "http://" + addr, nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return "", fmt.Errorf("stripe-mock did not start within 30 s")
	}
}

// Sign returns the Stripe-Signature header of payload signed with secret
// at time at (stripe-go's own signing helper).
func Sign(payload []byte, secret string, at time.Time) string {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at})
	return sp.Header
}

// Event builds an event payload of type typ about object obj.
func Event(id, typ string, obj any) []byte {
	raw, _ := json.Marshal(obj)
	b, _ := json.Marshal(map[string]any{
		"id": id, "object": "event", "type": typ, "api_version": "2023-10-16", "created": time.Now().Unix(),
		"livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": json.RawMessage(raw)},
	})
	return b
}
