package identity

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Mailer sends e-mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// Mail is one message.
type Mail struct {
	To, Subject, Body string
}

// OutboxMessage is a mail sent (or, without SMTP, only recorded) for a
// tenant (tenant table mail_outbox).
type OutboxMessage struct {
	bun.BaseModel `bun:"table:mail_outbox,alias:mo"`
	TenantID      string     `bun:"tenant_id,pk" json:"-"`
	ID            string     `bun:"id,pk" json:"id"`
	To            string     `bun:"recipient,notnull" json:"to"`
	Subject       string     `bun:"subject,notnull" json:"subject"`
	Body          string     `bun:"body,notnull" json:"body"`
	CreatedAt     time.Time  `bun:"created_at,notnull" json:"created_at"`
	SentAt        *time.Time `bun:"sent_at" json:"sent_at,omitempty"`
	Error         *string    `bun:"error" json:"error,omitempty"`
}

// OutboxMailer records every mail of a tenant (tenant in ctx) in the
// mail_outbox table and hands it to Deliver. Without Deliver (no SMTP
// configured) it logs the message instead — "mail (no SMTP configured)"
// with to, subject and body — and the row stays unsent, which is how
// tenant admins and tests read reset links. Mail without a tenant in ctx
// (platform mail) is only delivered or logged.
//
// Delivery runs in the background, so a slow mail server neither holds up
// the request nor shows in its timing; its outcome lands in the row's
// sent_at or error. Mail still being delivered when the process stops is
// lost (its row stays unsent).
//
// Send opens its own transaction: call it after the caller's transaction
// has committed (db.AfterCommit), not inside one.
type OutboxMailer struct {
	DB *db.DB
	// Deliver sends a message for real (SMTP); nil logs it.
	Deliver func(ctx context.Context, m Mail) error
	// Log defaults to slog.Default().
	Log *slog.Logger
}

// Send implements Mailer. It returns an error only when the outbox row
// cannot be written.
func (o *OutboxMailer) Send(ctx context.Context, m Mail) error {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	var row *OutboxMessage
	if t, ok := tenants.FromContext(ctx); ok && o.DB != nil {
		row = &OutboxMessage{TenantID: t.ID, ID: tenants.NewID(), To: m.To, Subject: m.Subject, Body: m.Body, CreatedAt: time.Now().UTC()}
		err := o.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.NewInsert().Model(row).Exec(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("record mail in outbox: %w", err)
		}
	}
	if o.Deliver == nil {
		log.InfoContext(ctx, "mail (no SMTP configured)", "to", m.To, "subject", m.Subject, "body", m.Body)
		return nil
	}
	ctx = context.WithoutCancel(ctx)
	go func() {
		sendErr := o.Deliver(ctx, m)
		if sendErr != nil {
			log.ErrorContext(ctx, "send mail", "to", m.To, "subject", m.Subject, "err", sendErr)
		}
		if row == nil {
			return
		}
		q := func(ctx context.Context, tx bun.IDB) error {
			u := db.Update(ctx, tx, (*OutboxMessage)(nil)).Where("mo.id = ?", row.ID)
			if sendErr != nil {
				u = u.Set("error = ?", sendErr.Error())
			} else {
				u = u.Set("sent_at = ?", time.Now().UTC())
			}
			_, err := u.Exec(ctx)
			return err
		}
		if err := o.DB.RunInTx(ctx, q); err != nil {
			log.ErrorContext(ctx, "note mail delivery", "id", row.ID, "err", err)
		}
	}()
	return nil
}

// OutboxMessages returns the newest limit (at most 500; 50 when limit ≤ 0) mails of the
// tenant in ctx, newest first.
func (s *Service) OutboxMessages(ctx context.Context, limit int) ([]*OutboxMessage, error) {
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	ms := []*OutboxMessage{}
	err := s.cfg.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &ms).Order("mo.created_at DESC", "mo.id DESC").Limit(int64(limit)).Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	return ms, nil
}
