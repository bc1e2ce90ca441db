package server_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/cmd/jishi-load/loadplan"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/jishi-dev/jishi/core/stripepay/stripetest"
)

// BenchmarkStripeWebhook posts b.N distinct, signed Stripe events
// (payment_intent.succeeded of intents the marketplace does not know, so
// processing is quick and changes nothing) to /webhooks/stripe of the demo
// marketplace from 16 concurrent clients of a second process over
// loopback, with the job queue processing them meanwhile, and reports
// events accepted per second and the latency percentiles of the
// acknowledgement (verify the signature, store the event, enqueue its
// job). PostgreSQL when JISHI_TEST_POSTGRES is set, SQLite otherwise.
// Goal: ≥ 500 events/s with p99 < 50 ms.
func BenchmarkStripeWebhook(b *testing.B) {
	const clients = 16
	a := seededWith(b, benchDB(b), app.Config{Stripe: stripepay.Config{SecretKey: stripetest.SecretKey,
		PublishableKey: stripetest.PublishableKey, WebhookSecret: stripetest.WebhookSecret, APIBase: "http://127.0.0.1:1"}})
	if err := a.StartJobs(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.StopJobs(context.Background()) })
	g := serveLoad(b, a)
	run := time.Now().UnixNano()
	reqs := make([]loadplan.Request, b.N+clients)
	now := time.Now()
	for i := range reqs {
		payload := stripetest.Event(fmt.Sprintf("evt_bench_%d_%d", run, i), "payment_intent.succeeded", map[string]any{
			"id": fmt.Sprintf("pi_bench_%d", i), "object": "payment_intent", "amount": 1000, "currency": "cny",
			"status": "succeeded", "metadata": map[string]string{"kind": "checkout"}})
		reqs[i] = loadplan.Request{Method: "POST", Path: "/webhooks/stripe", Body: string(payload), Headers: map[string]string{
			"Content-Type": "application/json", "Stripe-Signature": stripetest.Sign(payload, stripetest.WebhookSecret, now)}}
	}
	// The warm-up's requests are the first clients ones; the measured run
	// starts again at the first request, so it sends the warm-up's events
	// again (acknowledged, not stored twice) only if b.N wraps: it does not,
	// because the plan's requests outnumber b.N.
	rep := g.run(loadplan.Plan{Concurrency: clients, Total: b.N, Warmup: clients, Expect: []int{http.StatusOK}, Requests: reqs})
	reportRate(b, rep, "events/s")
}
