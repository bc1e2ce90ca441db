package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// PlatformUser is an account of the SaaS operator's staff (global table
// platform_users). It signs in on platform hosts only.
type PlatformUser struct {
	bun.BaseModel `bun:"table:platform_users,alias:pu"`
	ID            string     `bun:"id,pk" json:"id"`
	Email         string     `bun:"email,notnull" json:"email"`
	Name          string     `bun:"name,notnull" json:"name"`
	PasswordHash  string     `bun:"password_hash,notnull" json:"-"`
	Status        string     `bun:"status,notnull" json:"status"`
	FailedLogins  int        `bun:"failed_logins,notnull" json:"-"`
	FailedSince   *time.Time `bun:"failed_since" json:"-"`
	LockedUntil   *time.Time `bun:"locked_until" json:"-"`
	LastLoginAt   *time.Time `bun:"last_login_at" json:"last_login_at,omitempty"`
	CreatedAt     time.Time  `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at,notnull" json:"updated_at"`
}

// PlatformSession is a signed-in browser of a platform account (global
// table platform_sessions); ID is the sha256 (hex) of the cookie's token.
type PlatformSession struct {
	bun.BaseModel `bun:"table:platform_sessions,alias:ps"`
	ID            string    `bun:"id,pk"`
	UserID        string    `bun:"user_id,notnull"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
	LastSeenAt    time.Time `bun:"last_seen_at,notnull"`
	ExpiresAt     time.Time `bun:"expires_at,notnull"`
	UserAgent     string    `bun:"user_agent,notnull"`
	IP            string    `bun:"ip,notnull"`

	User *PlatformUser `bun:"rel:belongs-to,join:user_id=id"`
}

// CreatePlatformAdmin creates a platform account, or, when one with this
// e-mail exists, sets its name and password, clears its lock and ends its
// sessions (this is how a platform admin's password is reset). Returns
// Invalid with field errors on email, name and password.
func (s *Service) CreatePlatformAdmin(ctx context.Context, email, name, password string) error {
	var fe core.FieldErrors
	email = validate.Email(&fe, "email", email, true)
	name = validate.Text(&fe, "name", name, 1, NameMax)
	checkPassword(&fe, "password", password)
	if err := fe.Err(); err != nil {
		return err
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	var resetID string
	err = s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		u := new(PlatformUser)
		err := tx.NewSelect().Model(u).Where("pu.email = ?", email).Scan(ctx)
		if errors.Is(err, sql.ErrNoRows) {
			u = &PlatformUser{ID: tenants.NewID(), Email: email, Name: name, PasswordHash: hash, Status: StatusActive, CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
				return fmt.Errorf("create platform admin: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("load platform admin: %w", err)
		}
		resetID = u.ID
		_, err = tx.NewUpdate().Model((*PlatformUser)(nil)).Set("name = ?", name).Set("password_hash = ?", hash).
			Set("status = ?", StatusActive).Set("failed_logins = 0").Set("failed_since = NULL").Set("locked_until = NULL").
			Set("updated_at = ?", now).Where("id = ?", u.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("reset platform admin: %w", err)
		}
		if _, err := tx.NewDelete().Model((*PlatformSession)(nil)).Where("user_id = ?", u.ID).Exec(ctx); err != nil {
			return fmt.Errorf("end platform sessions: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if resetID != "" {
		s.cache.evictTag(userTag(KindPlatform, "", resetID))
	}
	return nil
}

// PlatformLogin is Login for platform accounts (by e-mail), with the same
// throttling and the same errors. It returns the session token.
func (s *Service) PlatformLogin(ctx context.Context, email, password string) (string, error) {
	token, _, err := s.PlatformLoginRotate(ctx, "", email, password)
	return token, err
}

// PlatformLoginRotate is PlatformLogin that also ends oldToken's platform
// session, and returns the account too.
func (s *Service) PlatformLoginRotate(ctx context.Context, oldToken, email, password string) (string, *PlatformUser, error) {
	now := time.Now().UTC()
	ipKey := "p|" + clientFrom(ctx).ip
	if s.ipLim.blocked(ipKey, now) {
		return "", nil, errLocked
	}
	email = validate.NormalizeEmail(email)
	unknownKey := "p|" + email
	if s.unkn.blocked(unknownKey, now) {
		return "", nil, errLocked
	}
	u := new(PlatformUser)
	err := s.cfg.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewSelect().Model(u).Where("pu.email = ?", email).Scan(ctx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		s.burnPassword(password)
		s.ipLim.fail(ipKey, now)
		s.unkn.fail(unknownKey, now)
		return "", nil, errLoginFailed
	}
	if err != nil {
		return "", nil, fmt.Errorf("load platform account: %w", err)
	}
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		return "", nil, errLocked
	}
	if !verifyPassword(password, u.PasswordHash) {
		s.ipLim.fail(ipKey, now)
		err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			return recordFailure(ctx, tx.NewUpdate().Model((*PlatformUser)(nil)).Where("id = ?", u.ID), now)
		})
		if err != nil {
			return "", nil, err
		}
		return "", nil, errLoginFailed
	}
	if u.Status != StatusActive {
		return "", nil, errLoginFailed
	}
	token, hash := newToken()
	c := clientFrom(ctx)
	err = s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := recordSuccess(tx.NewUpdate().Model((*PlatformUser)(nil)).Where("id = ?", u.ID), now).Exec(ctx); err != nil {
			return fmt.Errorf("note platform sign-in: %w", err)
		}
		if wellFormed(oldToken) {
			if _, err := tx.NewDelete().Model((*PlatformSession)(nil)).Where("id = ?", hashToken(oldToken)).Exec(ctx); err != nil {
				return fmt.Errorf("end previous platform session: %w", err)
			}
		}
		if _, err := tx.NewDelete().Model((*PlatformSession)(nil)).Where("user_id = ? AND expires_at < ?", u.ID, now).Exec(ctx); err != nil {
			return fmt.Errorf("prune platform sessions: %w", err)
		}
		ps := &PlatformSession{ID: hash, UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL),
			UserAgent: c.userAgent, IP: c.ip}
		if _, err := tx.NewInsert().Model(ps).Exec(ctx); err != nil {
			return fmt.Errorf("create platform session: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	if wellFormed(oldToken) {
		s.cache.evict(platformKey(hashToken(oldToken)))
	}
	s.ipLim.reset(ipKey)
	u.FailedLogins, u.FailedSince, u.LockedUntil, u.LastLoginAt = 0, nil, nil, &now
	return token, u, nil
}

// PlatformUserByID returns a platform account. Returns NotFound when there
// is none.
func (s *Service) PlatformUserByID(ctx context.Context, idb bun.IDB, id string) (*PlatformUser, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, errNotFound
	}
	u := new(PlatformUser)
	if err := idb.NewSelect().Model(u).Where("pu.id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNotFound
		}
		return nil, fmt.Errorf("load platform account: %w", err)
	}
	return u, nil
}

// platformSession resolves a platform session (no tenant in ctx).
func (s *Service) platformSession(ctx context.Context, hash string) (*Principal, error) {
	now := time.Now()
	key := platformKey(hash)
	if p := s.cache.get(key, now); p != nil {
		return p, nil
	}
	ps := new(PlatformSession)
	err := s.cfg.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return tx.NewSelect().Model(ps).Relation("User").Where("ps.id = ?", hash).Scan(ctx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load platform session: %w", err)
	}
	if ps.User == nil || ps.User.Status != StatusActive || !now.Before(ps.ExpiresAt) {
		return nil, nil
	}
	if now.Sub(ps.LastSeenAt) >= seenEvery {
		t := now.UTC()
		err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := tx.NewUpdate().Model((*PlatformSession)(nil)).Set("last_seen_at = ?", t).
				Set("expires_at = ?", t.Add(s.cfg.SessionTTL)).Where("id = ?", hash).Exec(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("touch platform session: %w", err)
		}
		ps.ExpiresAt = t.Add(s.cfg.SessionTTL)
	}
	p := &Principal{Kind: KindPlatform, UserID: ps.UserID, Name: ps.User.Name, Email: ps.User.Email, SessionID: hash}
	s.cache.put(key, p, userTag(KindPlatform, "", p.UserID), now, ps.ExpiresAt)
	return p, nil
}
