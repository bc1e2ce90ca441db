package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/cmd/jishi-load/loadplan"
)

// recorder is a server that counts the requests to each path, the most
// in flight at once and the connections opened. /status/N answers N;
// /echo answers the request's host, cookie, idempotency key and body.
type recorder struct {
	srv      *httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	inFlight atomic.Int64
	most     atomic.Int64
	conns    atomic.Int64
}

func newRecorder(t *testing.T, hold time.Duration) *recorder {
	t.Helper()
	r := &recorder{hits: map[string]int{}}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := r.inFlight.Add(1)
		defer r.inFlight.Add(-1)
		for m := r.most.Load(); n > m && !r.most.CompareAndSwap(m, n); m = r.most.Load() {
		}
		r.mu.Lock()
		r.hits[req.URL.RequestURI()]++
		r.mu.Unlock()
		time.Sleep(hold)
		switch {
		case strings.HasPrefix(req.URL.Path, "/status/"):
			code, _ := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/status/"))
			w.WriteHeader(code)
			fmt.Fprintf(w, "answered %d", code)
		case req.URL.Path == "/echo":
			b, _ := io.ReadAll(req.Body)
			fmt.Fprintf(w, "%s %s|%s|%s|%s|%s", req.Method, req.Host, req.Header.Get("Cookie"), req.Header.Get("Idempotency-Key"),
				req.Header.Get("Content-Type"), b)
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	r.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			r.conns.Add(1)
		}
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func mustRun(t *testing.T, p loadplan.Plan) *loadplan.Report {
	t.Helper()
	rep, err := Run(p)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestEachRequestOnceWithinConcurrency(t *testing.T) {
	r := newRecorder(t, 5*time.Millisecond)
	p := loadplan.Plan{BaseURL: r.srv.URL, Concurrency: 4}
	for i := range 60 {
		p.Requests = append(p.Requests, loadplan.Request{Path: "/item/" + strconv.Itoa(i)})
	}
	rep := mustRun(t, p)
	if len(rep.Results) != 60 || len(rep.Warmup) != 0 {
		t.Fatalf("%d results, %d warm-up: want 60 and 0", len(rep.Results), len(rep.Warmup))
	}
	for i := range 60 {
		if n := r.hits["/item/"+strconv.Itoa(i)]; n != 1 {
			t.Errorf("/item/%d served %d times, want once", i, n)
		}
		if res := rep.Results[i]; res.Status != 200 || res.Body != "" || res.Error != "" {
			t.Errorf("result %d: %+v", i, res)
		}
	}
	if m := r.most.Load(); m > 4 || m < 2 {
		t.Errorf("at most %d requests in flight, want between 2 and the concurrency 4", m)
	}
	if c := r.conns.Load(); c > 4 {
		t.Errorf("%d connections for 4 clients", c)
	}
	// 60 requests holding the server 5 ms each, four at a time, take at least 75 ms.
	if rep.ElapsedUS < 75_000 {
		t.Errorf("elapsed %d µs: the concurrency limit was not honoured", rep.ElapsedUS)
	}
}

func TestTotalCyclesAndWarmup(t *testing.T) {
	r := newRecorder(t, 0)
	p := loadplan.Plan{BaseURL: r.srv.URL + "/", Concurrency: 3, Total: 10, Warmup: 4,
		Requests: []loadplan.Request{{Path: "/a"}, {Path: "/b"}, {Path: "/c"}}}
	rep := mustRun(t, p)
	if len(rep.Results) != 10 || len(rep.Warmup) != 4 {
		t.Fatalf("%d results, %d warm-up: want 10 and 4", len(rep.Results), len(rep.Warmup))
	}
	// Warm-up a b c a, then the run a b c a b c a b c a.
	for path, want := range map[string]int{"/a": 2 + 4, "/b": 1 + 3, "/c": 1 + 3} {
		if got := r.hits[path]; got != want {
			t.Errorf("%s served %d times, want %d", path, got, want)
		}
	}
	for i, res := range rep.Results {
		if d := res.Latency - (res.EndUS - res.StartUS); res.Status != 200 || res.StartUS < 0 || res.EndUS < res.StartUS ||
			d < -1 || d > 1 || res.EndUS > rep.ElapsedUS+1 {
			t.Errorf("result %d: %+v (elapsed %d)", i, res, rep.ElapsedUS)
		}
	}
}

func TestStatusesHeadersAndBodies(t *testing.T) {
	r := newRecorder(t, 0)
	p := loadplan.Plan{BaseURL: r.srv.URL, Concurrency: 2, Expect: []int{200, 201, 409}, KeepBodyFor: []int{201},
		Headers: map[string]string{"Host": "shop.example", "Content-Type": "text/plain"},
		Requests: []loadplan.Request{
			{Path: "/status/201"},
			{Path: "/status/409"},
			{Path: "/status/503"},
			{Path: "/status/200", KeepBody: true},
			{Path: "/status/200"},
			{Method: "POST", Path: "/echo", Body: `{"qty":1}`, KeepBody: true,
				Headers: map[string]string{"Cookie": "jishi_session=s1", "idempotency-key": "k-1", "Content-Type": "application/json"}},
		}}
	rep := mustRun(t, p)
	want := []loadplan.Result{
		{Status: 201, Body: "answered 201"},
		{Status: 409},
		{Status: 503, Body: "answered 503"}, // unexpected: kept
		{Status: 200, Body: "answered 200"},
		{Status: 200},
		{Status: 200, Body: `POST shop.example|jishi_session=s1|k-1|application/json|{"qty":1}`},
	}
	for i, w := range want {
		if got := rep.Results[i]; got.Status != w.Status || got.Body != w.Body || got.Error != "" {
			t.Errorf("result %d: got %d %q %q, want %d %q", i, got.Status, got.Body, got.Error, w.Status, w.Body)
		}
	}
}

// TestStartTogether runs more clients than connections: every client
// starts at once, so the clients queued for a connection count the wait
// in their latency, and the server never sees more than two at a time.
func TestStartTogether(t *testing.T) {
	r := newRecorder(t, 50*time.Millisecond)
	p := loadplan.Plan{BaseURL: r.srv.URL, Concurrency: 8, Connections: 2, StartTogether: true}
	for range 8 {
		p.Requests = append(p.Requests, loadplan.Request{Path: "/"})
	}
	rep := mustRun(t, p)
	var slowest, lastStart int64
	firstEnd := rep.ElapsedUS
	for i, res := range rep.Results {
		if res.Status != 200 {
			t.Errorf("result %d: %+v", i, res)
		}
		slowest, lastStart, firstEnd = max(slowest, res.Latency), max(lastStart, res.StartUS), min(firstEnd, res.EndUS)
	}
	if lastStart >= firstEnd {
		t.Errorf("a request started at %d µs, after the first ended (%d µs): want all at once", lastStart, firstEnd)
	}
	if m, c := r.most.Load(), r.conns.Load(); m > 2 || c > 2 {
		t.Errorf("%d in flight, %d connections: want at most 2", m, c)
	}
	// Eight requests of 50 ms over two connections: the last waited for three before it.
	if slowest < 200_000 {
		t.Errorf("slowest latency %d µs: want the wait for a connection counted (≥ 200 ms)", slowest)
	}
}

func TestTransportErrorIsAResult(t *testing.T) {
	r := newRecorder(t, 0)
	base := r.srv.URL
	r.srv.Close()
	rep := mustRun(t, loadplan.Plan{BaseURL: base, Concurrency: 1, Requests: []loadplan.Request{{Path: "/"}}})
	if res := rep.Results[0]; res.Status != 0 || res.Error == "" {
		t.Fatalf("result against a closed server: %+v", res)
	}
}

// TestCommand reads the plan from stdin (or -plan) and writes the report
// on stdout, and refuses bad plans with status 2.
func TestCommand(t *testing.T) {
	r := newRecorder(t, 0)
	plan := fmt.Sprintf(`{"base_url": %q, "concurrency": 2, "total": 3, "requests": [{"path": "/status/204"}]}`, r.srv.URL)
	var out, errOut bytes.Buffer
	if code := run(nil, strings.NewReader(plan), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep loadplan.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 3 || rep.Results[2].Status != 204 || rep.ElapsedUS <= 0 {
		t.Fatalf("report %s", out.String())
	}
	file := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(file, []byte(plan), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"-plan", file}, strings.NewReader("not read"), &out, &errOut); code != 0 || !strings.Contains(out.String(), `"status":204`) {
		t.Fatalf("-plan %s: exit %d, stdout %s, stderr %s", file, code, out.String(), errOut.String())
	}
	for _, bad := range []string{
		`{"base_url": "127.0.0.1:80", "concurrency": 1, "requests": [{"path": "/"}]}`,
		fmt.Sprintf(`{"base_url": %q, "concurrency": 0, "requests": [{"path": "/"}]}`, r.srv.URL),
		fmt.Sprintf(`{"base_url": %q, "concurrency": 1, "requests": []}`, r.srv.URL),
		fmt.Sprintf(`{"base_url": %q, "concurrency": 1, "requests": [{"path": "x"}]}`, r.srv.URL),
		fmt.Sprintf(`{"base_url": %q, "concurrency": 1, "clients": 3, "requests": [{"path": "/"}]}`, r.srv.URL),
	} {
		out.Reset()
		errOut.Reset()
		if code := run(nil, strings.NewReader(bad), &out, &errOut); code != 2 || out.Len() != 0 || errOut.Len() == 0 {
			t.Errorf("plan %s: exit %d, stdout %q, stderr %q", bad, code, out.String(), errOut.String())
		}
	}
}
