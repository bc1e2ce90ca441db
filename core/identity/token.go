package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// TokenPrefix starts every API token, so a leaked one is easy to spot
// (secret scanners, logs).
const TokenPrefix = "jst_"

// APIToken is a bearer token of a tenant account for scripts and
// integrations (tenant table api_tokens). Only its hash is stored; the
// plaintext is shown once, by CreateToken.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:tok"`
	TenantID      string `bun:"tenant_id,pk" json:"-"`
	ID            string `bun:"id,pk" json:"id"`
	UserID        string `bun:"user_id,notnull" json:"-"`
	Name          string `bun:"name,notnull" json:"name"`
	TokenHash     string `bun:"token_hash,notnull" json:"-"`
	// Hint is the token's first characters ("jst_AbCd"), to tell tokens
	// apart in a list.
	Hint       string     `bun:"hint,notnull" json:"hint"`
	CreatedAt  time.Time  `bun:"created_at,notnull" json:"created_at"`
	LastUsedAt *time.Time `bun:"last_used_at" json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`

	User *User `bun:"rel:belongs-to,join:tenant_id=tenant_id,join:user_id=id" json:"-"`
}

// tenantPrincipal checks that p is a tenant account of the tenant in ctx.
func tenantPrincipal(ctx context.Context, p *Principal) error {
	_, err := TenantOf(ctx, p)
	return err
}

// TenantOf returns the tenant in ctx when p is a signed-in account of it,
// and Unauthenticated otherwise (no principal, a platform account, or an
// account of another tenant). Every tenant-scoped service starts with it.
func TenantOf(ctx context.Context, p *Principal) (*tenants.Tenant, error) {
	t, ok := tenants.FromContext(ctx)
	if p == nil || p.Kind != KindTenant || p.UserID == "" || !ok || p.TenantID != t.ID {
		return nil, errNotSignedIn
	}
	return t, nil
}

// CreateToken creates an API token named name for p's account and returns
// its plaintext (TokenPrefix + 43 characters; shown this once) with the
// stored record. Returns Unauthenticated unless p is an account of the
// tenant in ctx; Invalid with a field error on name.
func (s *Service) CreateToken(ctx context.Context, p *Principal, name string) (string, *APIToken, error) {
	if err := tenantPrincipal(ctx, p); err != nil {
		return "", nil, err
	}
	var fe core.FieldErrors
	name = validate.Text(&fe, "name", name, 1, 60)
	if err := fe.Err(); err != nil {
		return "", nil, err
	}
	secret, _ := newToken()
	plain := TokenPrefix + secret
	t := &APIToken{
		TenantID: p.TenantID, ID: tenants.NewID(), UserID: p.UserID, Name: name,
		TokenHash: hashToken(plain), Hint: plain[:len(TokenPrefix)+4], CreatedAt: time.Now().UTC(),
	}
	err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return fmt.Errorf("create api token: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return plain, t, nil
}

// ListTokens returns the API tokens of p's account, newest first,
// revoked ones included. Returns Unauthenticated unless p is an account of
// the tenant in ctx.
func (s *Service) ListTokens(ctx context.Context, p *Principal) ([]*APIToken, error) {
	if err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	ts := []*APIToken{}
	err := s.cfg.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &ts).Where("tok.user_id = ?", p.UserID).Order("tok.created_at DESC", "tok.id DESC").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list api tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken revokes API token id of p's account; it stops working at
// once in this process (see Authenticate for other instances). Revoking a
// revoked token again succeeds. Returns NotFound when id names no token of
// p's account (another user's or another tenant's included);
// Unauthenticated unless p is an account of the tenant in ctx.
func (s *Service) RevokeToken(ctx context.Context, p *Principal, id string) error {
	if err := tenantPrincipal(ctx, p); err != nil {
		return err
	}
	if _, err := uuid.Parse(id); err != nil {
		return errNotFound
	}
	t := new(APIToken)
	err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := db.Select(ctx, tx, t).Where("tok.id = ? AND tok.user_id = ?", id, p.UserID).Scan(ctx); err != nil {
			return db.NotFound(err, errNotFound)
		}
		if t.RevokedAt != nil {
			return nil
		}
		_, err := db.Update(ctx, tx, (*APIToken)(nil)).Set("revoked_at = ?", time.Now().UTC()).
			Where("tok.id = ? AND tok.revoked_at IS NULL", id).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	s.cache.evict(tokenKey(p.TenantID, t.TokenHash))
	return nil
}

// authenticateToken resolves a bearer token for the tenant in ctx.
func (s *Service) authenticateToken(ctx context.Context, plain string) (*Principal, error) {
	t, ok := tenants.FromContext(ctx)
	secret, hasPrefix := strings.CutPrefix(plain, TokenPrefix)
	if !ok || !hasPrefix || !wellFormed(secret) {
		return nil, errBadToken
	}
	hash := hashToken(plain)
	key := tokenKey(t.ID, hash)
	now := time.Now()
	if p := s.cache.get(key, now); p != nil {
		return p, nil
	}
	tok := new(APIToken)
	err := s.cfg.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, tok).Relation("User").Where("tok.token_hash = ?", hash).Scan(ctx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("load api token: %w", err)
	}
	if tok.RevokedAt != nil || tok.User == nil || tok.User.Status != StatusActive {
		return nil, errBadToken
	}
	if tok.LastUsedAt == nil || now.Sub(*tok.LastUsedAt) >= seenEvery {
		err := s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := db.Update(ctx, tx, (*APIToken)(nil)).Set("last_used_at = ?", now.UTC()).Where("tok.id = ?", tok.ID).Exec(ctx)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("note api token use: %w", err)
		}
	}
	p := &Principal{Kind: KindTenant, UserID: tok.UserID, TenantID: t.ID, Name: tok.User.Name, TokenID: tok.ID}
	if tok.User.Email != nil {
		p.Email = *tok.User.Email
	}
	if tok.User.Phone != nil {
		p.Phone = *tok.User.Phone
	}
	s.cache.put(key, p, userTag(KindTenant, t.ID, p.UserID), now, now.Add(cacheTTL))
	return p, nil
}
