// Command faulty is a test plugin whose behaviour its settings choose, for
// the host's fault tests: mode "ok" takes discount_fen off the first line
// (holding lines with the attribute faulty.hold, refusing lines with
// faulty.refuse); "sleep" sleeps past every deadline; "garbage" answers
// allocations that do not add up; "error" fails every call. Events and job
// runs are recorded at the host as usage (metric faulty.event / faulty.job,
// keyed by the event or run id), through the callback API.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
)

const schema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "mode": {"type": "string", "enum": ["ok", "sleep", "garbage", "error"], "default": "ok", "title": "Mode"},
    "discount_fen": {"type": "integer", "minimum": 0, "maximum": 100000, "default": 100, "title": "Discount"},
    "tender": {"type": "string", "enum": ["approve", "decline", "fail", "fail_capture"], "default": "approve", "title": "Tender"}
  },
  "additionalProperties": false
}`

var manifest = &pluginv1.Manifest{
	Name: "faulty", Version: "0.0.1", DisplayName: "Faulty", Description: "Fault injection for the host's tests.",
	Hooks: []*pluginv1.HookSpec{
		{Name: pluginv1.HookName_HOOK_NAME_ADJUST_CART, DeadlineMs: 150, FailurePolicy: pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_OPEN},
		{Name: pluginv1.HookName_HOOK_NAME_HANDLE_EVENT, DeadlineMs: 2000},
		{Name: pluginv1.HookName_HOOK_NAME_RUN_JOB},
		{Name: pluginv1.HookName_HOOK_NAME_HANDLE_HTTP, DeadlineMs: 1000},
		{Name: pluginv1.HookName_HOOK_NAME_SLOT_CONTENT, DeadlineMs: 100},
		{Name: pluginv1.HookName_HOOK_NAME_TENDER, DeadlineMs: 2000, FailurePolicy: pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_CLOSED},
	},
	EventSubscriptions: []string{"order.placed", "order.paid", "order.cancelled"},
	Jobs:               []*pluginv1.JobSpec{{Name: "tick", Schedule: &pluginv1.JobSpec_Interval{Interval: durationpb.New(time.Minute)}, DeadlineMs: 5000}},
	Routes: []*pluginv1.RouteSpec{
		{Method: "GET", Path: "/hello", Area: pluginv1.RouteArea_ROUTE_AREA_STOREFRONT},
		{Method: "GET", Path: "/echo", Area: pluginv1.RouteArea_ROUTE_AREA_STOREFRONT},
		{Method: "POST", Path: "/echo", Area: pluginv1.RouteArea_ROUTE_AREA_STOREFRONT},
		{Method: "GET", Path: "/tenders", Area: pluginv1.RouteArea_ROUTE_AREA_STOREFRONT},
		{Method: "GET", Path: "/manage", Area: pluginv1.RouteArea_ROUTE_AREA_ADMIN, Permission: "promo:manage"},
	},
	Slots:              []*pluginv1.SlotSpec{{Name: "product.badge", DeadlineMs: 100}},
	SettingsSchemaJson: []byte(schema),
	HostScopes:         []string{"orders:read", "usage:record", "orders:hold", "email:send", "orders:create", "stored_value:issue"},
}

type config struct {
	Mode        string `json:"mode"`
	DiscountFen int64  `json:"discount_fen"`
	Tender      string `json:"tender"`
}

func cfg(t *sdk.Tenant) config {
	c := config{Mode: "ok", DiscountFen: 100, Tender: "approve"}
	_ = t.DecodeConfig(&c)
	return c
}

type faulty struct{ sdk.Unimplemented }

// runs counts the job runs this process made.
var runs atomic.Int64

var errFault = errors.New("faulty: failing as configured")

func (faulty) AdjustCart(ctx context.Context, t *sdk.Tenant, req *pluginv1.AdjustCartRequest) (*pluginv1.AdjustCartResponse, error) {
	c := cfg(t)
	switch c.Mode {
	case "sleep":
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Second):
		}
		return &pluginv1.AdjustCartResponse{}, nil
	case "error":
		return nil, errFault
	}
	res := &pluginv1.AdjustCartResponse{}
	if len(req.GetLines()) == 0 {
		return res, nil
	}
	l := req.GetLines()[0]
	off := min(c.DiscountFen, l.GetSubtotalFen())
	alloc := -off
	if c.Mode == "garbage" {
		alloc = -off - 7
	}
	if off > 0 {
		res.Adjustments = append(res.Adjustments, &pluginv1.Adjustment{Code: "faulty.off", Label: "Faulty discount", AmountFen: -off,
			Allocations: []*pluginv1.LineAllocation{{LineId: l.GetLineId(), AmountFen: alloc}}})
	}
	for _, ln := range req.GetLines() {
		if _, ok := ln.GetAttributes()["faulty.hold"]; ok {
			res.Holds = append(res.Holds, &pluginv1.LineHold{LineId: ln.GetLineId(), Reason: "held by faulty"})
		}
		if _, ok := ln.GetAttributes()["faulty.refuse"]; ok {
			res.Errors = append(res.Errors, &pluginv1.FieldError{Field: "/lines/" + ln.GetLineId(), Message: "faulty refuses this line"})
		}
	}
	return res, nil
}

func (faulty) HandleEvent(ctx context.Context, t *sdk.Tenant, req *pluginv1.HandleEventRequest) (*pluginv1.HandleEventResponse, error) {
	if cfg(t).Mode == "error" {
		return nil, errFault
	}
	var o pluginv1.Order
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(req.GetEvent().GetPayloadJson(), &o); err != nil || o.GetId() == "" {
		return nil, fmt.Errorf("payload of %s: %v", req.GetEvent().GetType(), err)
	}
	host := sdk.Host(t)
	if _, err := host.RecordUsage(ctx, &pluginv1.RecordUsageRequest{Metric: "faulty.event", Quantity: 1,
		IdempotencyKey: req.GetEvent().GetId()}); err != nil {
		return nil, err
	}
	return &pluginv1.HandleEventResponse{}, nil
}

func (faulty) RunJob(ctx context.Context, t *sdk.Tenant, req *pluginv1.RunJobRequest) (*pluginv1.RunJobResponse, error) {
	// Keyed by the run id and this process's call count, so that a tick run
	// twice (by two server instances) would show as two records.
	runs.Add(1)
	key := fmt.Sprintf("%s#%d#%d", req.GetRunId(), os.Getpid(), runs.Load())
	if _, err := sdk.Host(t).RecordUsage(ctx, &pluginv1.RecordUsageRequest{Metric: "faulty.job", Quantity: 1, IdempotencyKey: key}); err != nil {
		return nil, err
	}
	return &pluginv1.RunJobResponse{Summary: "ran " + req.GetJobName()}, nil
}

func (faulty) HandleHTTP(ctx context.Context, t *sdk.Tenant, req *pluginv1.HandleHTTPRequest) (*pluginv1.HandleHTTPResponse, error) {
	switch req.GetPath() {
	case "/echo":
		var names []string
		for _, h := range req.GetHeaders() {
			names = append(names, h.GetName())
		}
		body, _ := json.Marshal(map[string]any{"headers": names, "user": req.GetIdentity().GetUserId(), "mount": req.GetMount(),
			"shop": t.ShopID, "regions": t.ActiveRegionIDs, "body": string(req.GetBody())})
		return &pluginv1.HandleHTTPResponse{Headers: []*pluginv1.Header{{Name: "Content-Type", Values: []string{"application/json"}},
			{Name: "Set-Cookie", Values: []string{"stolen=1"}}}, Body: body}, nil
	case "/tenders":
		tenders.Lock()
		n := map[string]int{}
		for op, keys := range tenders.keys {
			n[op] = len(keys)
		}
		tenders.Unlock()
		body, _ := json.Marshal(n)
		return &pluginv1.HandleHTTPResponse{Headers: []*pluginv1.Header{{Name: "Content-Type", Values: []string{"application/json"}}}, Body: body}, nil
	case "/manage":
		return page("manage " + t.ShopID), nil
	}
	return page("hello " + strings.TrimSpace(req.GetIdentity().GetDisplayName())), nil
}

func page(text string) *pluginv1.HandleHTTPResponse {
	return &pluginv1.HandleHTTPResponse{Headers: []*pluginv1.Header{
		{Name: "Content-Type", Values: []string{"text/html; charset=utf-8"}},
		{Name: "X-Jishi-Layout", Values: []string{"page"}}, {Name: "X-Jishi-Title", Values: []string{"Faulty"}},
	}, Body: []byte(`<p id="faulty-text">` + text + `</p>`)}
}

func (faulty) SlotContent(ctx context.Context, t *sdk.Tenant, req *pluginv1.SlotContentRequest) (*pluginv1.SlotContentResponse, error) {
	if cfg(t).Mode != "ok" {
		return nil, errFault
	}
	return &pluginv1.SlotContentResponse{Items: []*pluginv1.SlotItem{{Badge: "FAULTY", Link: "javascript:alert(1)"}}}, nil
}

// tenders are the idempotency keys of the tender calls answered, by
// operation (GET /tenders shows how many).
var tenders = struct {
	sync.Mutex
	keys map[string]map[string]bool
}{keys: map[string]map[string]bool{}}

// tender answers a tender call as configured and records it at the host
// (in memory, per idempotency key).
func tender(ctx context.Context, t *sdk.Tenant, op, key string, amount int64, ok pluginv1.TenderStatus) (*pluginv1.TenderResponse, error) {
	switch cfg(t).Tender {
	case "fail":
		return nil, errFault
	case "fail_capture":
		if op == "capture" {
			return nil, errFault
		}
	case "decline":
		if op == "authorize" {
			return &pluginv1.TenderResponse{Status: pluginv1.TenderStatus_TENDER_STATUS_DECLINED, DeclineMessage: "faulty declines"}, nil
		}
	}
	// Kept in memory, not at the host: a tender call runs inside the
	// checkout's transaction, and on SQLite a write through the host would
	// wait for that transaction's lock.
	tenders.Lock()
	if tenders.keys[op] == nil {
		tenders.keys[op] = map[string]bool{}
	}
	tenders.keys[op][key] = true
	tenders.Unlock()
	return &pluginv1.TenderResponse{Status: ok, ProviderReference: op + "-" + key, AmountFen: amount}, nil
}

func (faulty) AuthorizeTender(ctx context.Context, t *sdk.Tenant, req *pluginv1.AuthorizeTenderRequest) (*pluginv1.TenderResponse, error) {
	return tender(ctx, t, "authorize", req.GetIdempotencyKey(), req.GetAmountFen(), pluginv1.TenderStatus_TENDER_STATUS_AUTHORIZED)
}

func (faulty) CaptureTender(ctx context.Context, t *sdk.Tenant, req *pluginv1.CaptureTenderRequest) (*pluginv1.TenderResponse, error) {
	return tender(ctx, t, "capture", req.GetIdempotencyKey(), req.GetAmountFen(), pluginv1.TenderStatus_TENDER_STATUS_CAPTURED)
}

func (faulty) VoidTender(ctx context.Context, t *sdk.Tenant, req *pluginv1.VoidTenderRequest) (*pluginv1.TenderResponse, error) {
	return tender(ctx, t, "void", req.GetIdempotencyKey(), 0, pluginv1.TenderStatus_TENDER_STATUS_VOIDED)
}

func (faulty) RefundTender(ctx context.Context, t *sdk.Tenant, req *pluginv1.RefundTenderRequest) (*pluginv1.TenderResponse, error) {
	return tender(ctx, t, "refund", req.GetIdempotencyKey(), req.GetAmountFen(), pluginv1.TenderStatus_TENDER_STATUS_REFUNDED)
}

func main() { sdk.Serve(manifest, faulty{}) }
