// Command jishi-load is the load generator of Jishi's HTTP benchmarks. It
// runs as its own process, so the server under test shares the machine
// with its load but not its scheduler, heap or garbage collector: the
// setting of the performance goals (server and PostgreSQL on one machine,
// load from a second process on loopback).
//
//	jishi-load [-plan FILE] < plan.json > report.json
//
// It reads a plan (JSON, on stdin unless -plan names a file), issues the
// plan's requests from its concurrent clients, and writes a report (JSON)
// with each request's status, latency and start and end offsets on
// stdout; package loadplan describes both. It exits 2 on a bad plan; a
// request that fails or answers an unexpected status is a result, not an
// error.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jishi-dev/jishi/cmd/jishi-load/loadplan"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is the command: it answers the process's exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("jishi-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	planFile := fs.String("plan", "", "plan file (JSON); default stdin")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	in := stdin
	if *planFile != "" {
		f, err := os.Open(*planFile)
		if err != nil {
			fmt.Fprintln(stderr, "jishi-load:", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	var p loadplan.Plan
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		fmt.Fprintln(stderr, "jishi-load: plan:", err)
		return 2
	}
	rep, err := Run(p)
	if err != nil {
		fmt.Fprintln(stderr, "jishi-load:", err)
		return 2
	}
	w := bufio.NewWriter(stdout)
	if err := json.NewEncoder(w).Encode(rep); err != nil {
		fmt.Fprintln(stderr, "jishi-load:", err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(stderr, "jishi-load:", err)
		return 1
	}
	return 0
}

// Run issues the plan's requests and answers their results. It fails only
// on a bad plan: errors and unexpected statuses of requests are results.
func Run(p loadplan.Plan) (*loadplan.Report, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	conns := p.Connections
	if conns == 0 {
		conns = p.Concurrency
	}
	timeout := time.Minute
	if p.TimeoutMS > 0 {
		timeout = time.Duration(p.TimeoutMS) * time.Millisecond
	}
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	g := &generator{plan: p, base: strings.TrimSuffix(p.BaseURL, "/"), client: &http.Client{Transport: tr, Timeout: timeout}}
	rep := &loadplan.Report{}
	if p.Warmup > 0 {
		rep.Warmup, _ = g.phase(p.Warmup, false)
	}
	var elapsed time.Duration
	rep.Results, elapsed = g.phase(p.Issued(), p.StartTogether)
	rep.ElapsedUS = elapsed.Microseconds()
	return rep, nil
}

// generator issues a plan's requests through one client (and so one pool
// of connections).
type generator struct {
	plan   loadplan.Plan
	base   string
	client *http.Client
}

// phase issues n requests, cycling through the plan's, from at most
// Concurrency clients, and answers their results in issue order and the
// time from the start until the last ended.
func (g *generator) phase(n int, together bool) ([]loadplan.Result, time.Duration) {
	results := make([]loadplan.Result, n)
	var next atomic.Int64
	var ready, done sync.WaitGroup
	gate := make(chan struct{})
	var start time.Time
	for range min(g.plan.Concurrency, n) {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-gate
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				results[i] = g.issue(&g.plan.Requests[i%len(g.plan.Requests)], start)
			}
		}()
	}
	if together {
		ready.Wait()
	}
	start = time.Now()
	close(gate)
	done.Wait()
	return results, time.Since(start)
}

// issue sends r and reads its answer; run is the start of the run.
func (g *generator) issue(r *loadplan.Request, run time.Time) loadplan.Result {
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, g.base+r.Path, body)
	if err != nil {
		return loadplan.Result{Error: err.Error()}
	}
	for _, hs := range []map[string]string{g.plan.Headers, r.Headers} {
		for k, v := range hs {
			if http.CanonicalHeaderKey(k) == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
	}
	start := time.Now()
	res := loadplan.Result{StartUS: start.Sub(run).Microseconds()}
	resp, err := g.client.Do(req)
	if err == nil {
		res.Status = resp.StatusCode
		keep := r.KeepBody || slices.Contains(g.plan.KeepBodyFor, resp.StatusCode) ||
			(len(g.plan.Expect) > 0 && !slices.Contains(g.plan.Expect, resp.StatusCode))
		if keep {
			var b []byte
			b, err = io.ReadAll(resp.Body)
			res.Body = string(b)
		} else {
			_, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
	}
	end := time.Now()
	if err != nil {
		res.Error = err.Error()
	}
	res.Latency = end.Sub(start).Microseconds()
	res.EndUS = end.Sub(run).Microseconds()
	return res
}
