// Package loadplan is the wire format of cmd/jishi-load: the plan it reads
// and the report it writes, both JSON. A plan:
//
//	{
//	  "base_url": "http://127.0.0.1:41234",
//	  "concurrency": 64,          // clients issuing requests at the same time
//	  "connections": 64,          // open connections at most (default: concurrency);
//	                              // a client waiting for one counts the wait in its latency
//	  "total": 20000,             // requests to issue, cycling through "requests";
//	                              // 0 (default): each request exactly once, in order
//	  "warmup": 64,               // requests issued first, cycling, and not timed
//	  "start_together": false,    // every client waits on a barrier, then all start
//	  "timeout_ms": 60000,        // per request (default 60 s)
//	  "headers": {"Host": "changsha-coop.localhost"},  // on every request
//	  "expect": [200],            // a response with another status keeps its body
//	  "keep_body_for": [201],     // responses with these statuses keep their bodies
//	  "requests": [
//	    {"method": "POST", "path": "/api/v1/checkout", "headers": {"Cookie": "…",
//	     "X-CSRF-Token": "…", "Idempotency-Key": "…", "Content-Type": "application/json"},
//	     "body": "{…}", "keep_body": false}
//	  ]
//	}
//
// A request's headers override the plan's; a "Host" header sets the
// request's host. The report has the run's elapsed time, from the start of
// the timed requests to the end of the last, and one result per issued
// request in issue order (result i is of request i modulo the number of
// requests, in the warm-up as in the run): the status (0 when no answer
// came, with the error), the latency, and the start and end offsets from
// the start of the run, in microseconds, and the body only when the plan
// asks for it.
package loadplan

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Plan is what to send, from how many clients, and how.
type Plan struct {
	BaseURL string `json:"base_url"`
	// Concurrency is the number of clients issuing requests at a time.
	Concurrency int `json:"concurrency"`
	// Connections caps the open connections to the server; zero means
	// Concurrency.
	Connections int `json:"connections,omitempty"`
	// Total, when positive, is the number of requests issued, cycling
	// through Requests; zero issues each of Requests exactly once.
	Total int `json:"total,omitempty"`
	// Warmup is the number of requests issued (cycling through Requests)
	// before the timed run, over the same connections.
	Warmup int `json:"warmup,omitempty"`
	// StartTogether holds every client on a barrier until all of them
	// are ready, then releases them at once.
	StartTogether bool              `json:"start_together,omitempty"`
	TimeoutMS     int               `json:"timeout_ms,omitempty"`
	Headers       map[string]string `json:"headers,omitempty"`
	// Expect lists the statuses the caller expects; the body of any
	// other answer is kept so that the caller can tell why.
	Expect []int `json:"expect,omitempty"`
	// KeepBodyFor lists the statuses whose bodies are kept.
	KeepBodyFor []int     `json:"keep_body_for,omitempty"`
	Requests    []Request `json:"requests"`
}

// Request is one HTTP request of a plan; Method defaults to GET.
type Request struct {
	Method   string            `json:"method,omitempty"`
	Path     string            `json:"path"`
	Headers  map[string]string `json:"headers,omitempty"`
	Body     string            `json:"body,omitempty"`
	KeepBody bool              `json:"keep_body,omitempty"`
}

// Result is the outcome of one issued request. Times are microseconds;
// StartUS and EndUS are offsets from the start of the run.
type Result struct {
	Status  int    `json:"status"`
	Latency int64  `json:"us"`
	StartUS int64  `json:"start_us"`
	EndUS   int64  `json:"end_us"`
	Body    string `json:"body,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Report is the outcome of a plan: the timed results in issue order, and
// the warm-up's.
type Report struct {
	ElapsedUS int64    `json:"elapsed_us"`
	Warmup    []Result `json:"warmup,omitempty"`
	Results   []Result `json:"results"`
}

// Issued is the number of timed requests the plan issues.
func (p *Plan) Issued() int {
	if p.Total > 0 {
		return p.Total
	}
	return len(p.Requests)
}

// Check answers why the plan cannot run, or nil.
func (p *Plan) Check() error {
	u, err := url.Parse(p.BaseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("base_url %q: want http://host:port", p.BaseURL)
	case p.Concurrency < 1:
		return errors.New("concurrency: want at least 1")
	case p.Connections < 0 || p.Total < 0 || p.Warmup < 0 || p.TimeoutMS < 0:
		return errors.New("connections, total, warmup and timeout_ms: want zero or more")
	case len(p.Requests) == 0:
		return errors.New("requests: want at least one")
	}
	for i, r := range p.Requests {
		if !strings.HasPrefix(r.Path, "/") {
			return fmt.Errorf("requests[%d].path %q: want an absolute path", i, r.Path)
		}
	}
	return nil
}
