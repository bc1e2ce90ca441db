package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/jishi-dev/jishi/core/invoicing"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/uptrace/bun"
)

// wireInvoicing builds platform billing (core/invoicing) on the ledger
// and the job queue: the month-end jobs' handlers, the provisioning step
// that gives a new tenant the default plans and its first month end, and
// a job that schedules the month end of every existing tenant whose chain
// has not reached the current month once the queue runs (logged, not
// fatal, when it cannot be enqueued: the next start tries again). What
// issued invoices of shops with a Stripe account still have due is
// billed through Stripe Billing (core/stripepay); Stripe's invoice.paid
// webhook marks them paid. Other invoices stay open to be paid offline.
func (a *App) wireInvoicing(ctx context.Context) {
	a.Invoicing = invoicing.New(invoicing.Deps{DB: a.DB, Authz: a.Authz, Ledger: a.Billing, Jobs: a.Jobs})
	a.Invoicing.Collector = stripeCollector{a.Stripe}
	a.Stripe.InvoicePaid = a.Invoicing.MarkPaid
	a.Invoicing.RegisterJobs()
	a.Provisioner.AddStep("invoicing", a.Invoicing.Provision)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := a.Invoicing.EnqueueSchedule(ctx); err != nil {
		slog.Warn("schedule month-end invoicing", "err", err)
	}
}

// stripeCollector hands invoices to Stripe Billing.
type stripeCollector struct{ s *stripepay.Service }

func (c stripeCollector) Collect(ctx context.Context, tx bun.IDB, inv *invoicing.Invoice) (string, error) {
	return c.s.Collect(ctx, tx, stripepay.InvoiceToCollect{ID: inv.ID, Number: inv.Number, OwnerKind: inv.OwnerKind,
		OwnerID: inv.OwnerID, OwnerName: inv.OwnerName, Currency: inv.Currency, Period: inv.Period, DueFen: inv.DueFen})
}

// Cancel voids the Stripe invoice of a voided marketplace invoice.
func (c stripeCollector) Cancel(ctx context.Context, tx bun.IDB, inv *invoicing.Invoice) error {
	return c.s.CancelCollection(ctx, tx, inv.ID)
}
