package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// PasswordReset is a one-time password-reset link of a tenant account
// (tenant table password_resets). Only the token's hash is stored.
type PasswordReset struct {
	bun.BaseModel `bun:"table:password_resets,alias:pr"`
	TenantID      string     `bun:"tenant_id,pk"`
	ID            string     `bun:"id,pk"`
	UserID        string     `bun:"user_id,notnull"`
	TokenHash     string     `bun:"token_hash,notnull"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
	ExpiresAt     time.Time  `bun:"expires_at,notnull"`
	UsedAt        *time.Time `bun:"used_at"`
}

// maxOpenResets caps the unused, unexpired reset links of one account, so
// the form cannot be used to flood someone's mailbox.
const maxOpenResets = 3

// RequestPasswordReset starts a password reset for the account of the
// tenant in ctx whose e-mail or phone is login: it stores a one-time token
// (valid ResetTTL) and mails the account's e-mail address a link,
// resetURLBase with "token=…" added to its query. It answers the same
// whether or not the account exists, so it cannot be used to find out; an
// account with no e-mail address gets nothing (text messages are a
// plugin's job), nor one that already has maxOpenResets open links.
// Returns Invalid only for an empty login, and errors of the database.
//
// Platform accounts have no reset by mail: an operator resets a platform
// admin's password with `jishi user create-admin` (CreatePlatformAdmin).
func (s *Service) RequestPasswordReset(ctx context.Context, login, resetURLBase string) error {
	if strings.TrimSpace(login) == "" {
		var fe core.FieldErrors
		fe.Add("login", "field.required")
		return fe.Err()
	}
	if err := s.act(ctx, "reset"); err != nil {
		return err
	}
	tenantID := db.TenantID(ctx)
	now := time.Now().UTC()
	var (
		u     *User
		token string
	)
	err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		u, err = s.UserByLogin(ctx, tx, login)
		if core.IsNotFound(err) {
			u = nil
			return nil
		}
		if err != nil {
			return err
		}
		if u.Email == nil || u.Status != StatusActive {
			u = nil
			return nil
		}
		open, err := db.Select(ctx, tx, (*PasswordReset)(nil)).
			Where("pr.user_id = ? AND pr.used_at IS NULL AND pr.expires_at > ?", u.ID, now).Count(ctx)
		if err != nil {
			return fmt.Errorf("count open resets: %w", err)
		}
		if open >= maxOpenResets {
			u = nil
			return nil
		}
		var hash string
		token, hash = newToken()
		pr := &PasswordReset{TenantID: tenantID, ID: tenants.NewID(), UserID: u.ID, TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}
		if _, err := tx.NewInsert().Model(pr).Exec(ctx); err != nil {
			return fmt.Errorf("create password reset: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if u == nil {
		s.burnPassword(login) // answer about as slowly as when mailing
		return nil
	}
	link := resetLink(resetURLBase, token)
	locale := i18n.FromContext(ctx)
	m := Mail{
		To:      *u.Email,
		Subject: i18n.T(locale, "identity.mail.reset_subject"),
		Body:    i18n.T(locale, "identity.mail.reset_body", u.Name, link),
	}
	if err := s.cfg.Mailer.Send(ctx, m); err != nil {
		// The caller learns nothing either way; the outbox or the log
		// has the failure.
		s.log().ErrorContext(ctx, "send password reset mail", "tenant", tenantID, "user", u.ID, "err", err)
	}
	return nil
}

func resetLink(base, token string) string {
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "token=" + url.QueryEscape(token)
}

// ResetPassword sets a new password with the token of a reset link for
// the tenant in ctx. The token works once; the account's failed-sign-in
// count and lock are cleared, every session of the account ends (its API
// tokens stay), and the account's other open links are used up.
// Returns Invalid with a field error on token for an unknown, used or
// expired token, and on password for a bad password; nothing changes then.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	var fe core.FieldErrors
	checkPassword(&fe, "password", newPassword)
	if err := fe.Err(); err != nil {
		return err
	}
	token = strings.TrimSpace(token)
	if !wellFormed(token) {
		return errResetInvalid
	}
	hash, err := s.hashPassword(newPassword)
	if err != nil {
		return err
	}
	tenantID := db.TenantID(ctx)
	now := time.Now().UTC()
	var userID string
	err = s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pr := new(PasswordReset)
		err := db.Select(ctx, tx, pr).Where("pr.token_hash = ?", hashToken(token)).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			return errResetInvalid
		}
		if err != nil {
			return fmt.Errorf("load password reset: %w", err)
		}
		if pr.UsedAt != nil || !now.Before(pr.ExpiresAt) {
			return errResetInvalid
		}
		res, err := db.Update(ctx, tx, (*PasswordReset)(nil)).Set("used_at = ?", now).
			Where("pr.user_id = ? AND pr.used_at IS NULL", pr.UserID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("use password reset: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errResetInvalid // used concurrently
		}
		userID = pr.UserID
		q := db.Update(ctx, tx, (*User)(nil)).Set("password_hash = ?", hash).Set("updated_at = ?", now).
			Set("failed_logins = 0").Set("failed_since = NULL").Set("locked_until = NULL").Where("u.id = ?", userID)
		if _, err := q.Exec(ctx); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := db.Delete(ctx, tx, (*Session)(nil)).Where("s.user_id = ?", userID).Exec(ctx); err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.cache.evictTag(userTag(KindTenant, tenantID, userID))
	return nil
}
