package stripepay

import (
	"context"
	"fmt"
	"strings"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/stripe/stripe-go/v76"
	"github.com/uptrace/bun"
)

// Platform invoices through Stripe Billing: what a merchant's monthly
// invoice still has due after its payable settled part of it is billed to
// the shop as a customer of the platform's Stripe account (one Customer
// per shop, created once and remembered with its Connect account), as a
// Stripe invoice sent for payment; Stripe's invoice.paid webhook marks
// the marketplace's invoice paid (Hooks.InvoicePaid).

// InvoiceToCollect is what Collect needs of a marketplace invoice.
type InvoiceToCollect struct {
	ID, Number, OwnerKind, OwnerID, OwnerName, Currency, Period string
	DueFen                                                      int64
}

// CollectArgs is the job billing one invoice through Stripe.
type CollectArgs struct {
	TenantID string           `json:"tenant_id"`
	Invoice  InvoiceToCollect `json:"invoice"`
}

// Kind implements jobs.Args.
func (CollectArgs) Kind() string { return "stripe.collect_invoice" }

// CollectRef is the collector reference of an invoice handed to Stripe.
const CollectRef = "stripe"

// DaysUntilDue is the payment term of Stripe invoices.
const DaysUntilDue = 14

// Collect hands inv to Stripe Billing when its owner is a shop with a
// Connect account and Stripe is configured: a job, enqueued in tx, creates
// the Stripe invoice (so a rolled-back issue bills nothing). It answers
// CollectRef, or "" when the invoice stays to be paid otherwise.
func (s *Service) Collect(ctx context.Context, tx bun.IDB, inv InvoiceToCollect) (string, error) {
	if inv.OwnerKind != "shop" || inv.DueFen <= 0 {
		return "", nil
	}
	keys, err := s.KeysFor(ctx, tx)
	if err != nil || keys.Secret == "" {
		return "", err
	}
	acct, err := s.AccountOf(ctx, tx, inv.OwnerID)
	if err != nil || acct == nil {
		return "", err
	}
	if _, err := s.Jobs.Enqueue(ctx, tx, CollectArgs{TenantID: db.TenantID(ctx), Invoice: inv}, &jobs.Opts{MaxAttempts: 8}); err != nil {
		return "", err
	}
	return CollectRef, nil
}

// invoiceState answers a marketplace invoice's status and collector
// reference.
func invoiceState(ctx context.Context, tx bun.IDB, id string) (status, ref string, err error) {
	err = tx.NewSelect().Table("invoices").Column("status", "collector_ref").
		Where("tenant_id = ?", db.TenantID(ctx)).Where("id = ?", id).Scan(ctx, &status, &ref)
	return status, ref, err
}

// collect creates (once: every call carries a key derived from the
// invoice) the shop's Customer, the invoice item and the Stripe invoice,
// and finalizes it so Stripe sends it. An invoice voided meanwhile is
// left alone.
func (s *Service) collect(ctx context.Context, a CollectArgs) error {
	inv := a.Invoice
	var keys Keys
	var acct *Account
	status := ""
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		if status, _, err = invoiceState(ctx, tx, inv.ID); err != nil {
			return err
		}
		acct, err = s.AccountOf(ctx, tx, inv.OwnerID)
		return err
	})
	if err != nil || acct == nil || keys.Secret == "" || status != "open" {
		return err
	}
	c := s.client(keys.Secret)
	customer := acct.CustomerID
	if customer == "" {
		cp := &stripe.CustomerParams{Name: stripe.String(inv.OwnerName),
			Metadata: metadata(ctx, "shop_id", inv.OwnerID, "connect_account", acct.AccountID)}
		cp.SetIdempotencyKey(idem(ctx, "cus", inv.OwnerID))
		cu, err := c.Customers.New(cp)
		if err != nil {
			return stripeErr("create customer", err)
		}
		customer = cu.ID
		err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.NewUpdate().Model((*Account)(nil)).Set("customer_id = ?", customer).
				Where("sta.tenant_id = ?", db.TenantID(ctx)).Where("sta.shop_id = ?", inv.OwnerID).Where("sta.customer_id = ''").Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("remember stripe customer: %w", err)
		}
	}
	cur := strings.ToLower(inv.Currency)
	if cur == "" {
		cur = currency(ctx)
	}
	md := metadata(ctx, "invoice_id", inv.ID, "number", inv.Number)
	ip := &stripe.InvoiceParams{Customer: stripe.String(customer), CollectionMethod: stripe.String("send_invoice"),
		DaysUntilDue: stripe.Int64(DaysUntilDue), Currency: stripe.String(cur), Metadata: md,
		Description: stripe.String(inv.Number + " · " + inv.Period)}
	ip.SetIdempotencyKey(idem(ctx, "inv", inv.ID))
	si, err := c.Invoices.New(ip)
	if err != nil {
		return stripeErr("create invoice", err)
	}
	iip := &stripe.InvoiceItemParams{Customer: stripe.String(customer), Invoice: stripe.String(si.ID),
		Amount: stripe.Int64(inv.DueFen), Currency: stripe.String(cur), Description: stripe.String(inv.Number), Metadata: md}
	iip.SetIdempotencyKey(idem(ctx, "ii", inv.ID))
	if _, err := c.InvoiceItems.New(iip); err != nil {
		return stripeErr("create invoice item", err)
	}
	fp := &stripe.InvoiceFinalizeInvoiceParams{}
	fp.SetIdempotencyKey(idem(ctx, "fin", inv.ID))
	if _, err := c.Invoices.FinalizeInvoice(si.ID, fp); err != nil {
		return stripeErr("finalize invoice", err)
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := tx.NewUpdate().Table("invoices").Set("collector_ref = ?", CollectRef+":"+si.ID).
			Where("tenant_id = ?", db.TenantID(ctx)).Where("id = ?", inv.ID).Exec(ctx)
		return err
	})
}

// VoidArgs is the job voiding the Stripe invoice of a voided marketplace
// invoice.
type VoidArgs struct {
	TenantID  string `json:"tenant_id"`
	InvoiceID string `json:"invoice_id"`
}

// Kind implements jobs.Args.
func (VoidArgs) Kind() string { return "stripe.void_invoice" }

// CancelCollection takes back the Stripe collection of marketplace
// invoice invoiceID, which tx voids: a job voids the Stripe invoice once
// tx commits (a collection still queued skips a voided invoice).
func (s *Service) CancelCollection(ctx context.Context, tx bun.IDB, invoiceID string) error {
	_, err := s.Jobs.Enqueue(ctx, tx, VoidArgs{TenantID: db.TenantID(ctx), InvoiceID: invoiceID}, &jobs.Opts{MaxAttempts: 8})
	return err
}

func (s *Service) voidInvoice(ctx context.Context, a VoidArgs) error {
	var keys Keys
	var ref string
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var err error
		if keys, err = s.KeysFor(ctx, tx); err != nil {
			return err
		}
		_, ref, err = invoiceState(ctx, tx, a.InvoiceID)
		return err
	})
	id, ok := strings.CutPrefix(ref, CollectRef+":")
	if err != nil || !ok || keys.Secret == "" {
		return err
	}
	params := &stripe.InvoiceVoidInvoiceParams{}
	params.SetIdempotencyKey(idem(ctx, "void", a.InvoiceID))
	if _, err := s.client(keys.Secret).Invoices.VoidInvoice(id, params); err != nil {
		return stripeErr("void invoice", err)
	}
	return nil
}
