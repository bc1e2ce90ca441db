// Package identity holds accounts and how they prove who they are:
// shoppers and tenant staff (per tenant), platform staff (global),
// passwords, database sessions, API bearer tokens, login throttling and
// password resets.
package identity

// CONTRACT STUB: the identity work replaces this file. Signatures other
// packages rely on are listed here and must keep their shape.

import (
	"context"
	"net/http"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "jishi_session"

// Config configures the Service.
type Config struct {
	DB     *db.DB
	Mailer Mailer
	// Secure marks session cookies Secure (TLS).
	Secure bool
	// SessionTTL is how long an idle session lives (default 14 days).
	SessionTTL time.Duration
	// FastHashing lowers argon2id cost; tests and benchmarks only.
	FastHashing bool
}

// Mailer sends e-mail.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// Mail is one message.
type Mail struct {
	To, Subject, Body string
}

// Service is the identity context's API.
type Service struct{ cfg Config }

// New returns the service.
func New(cfg Config) *Service { return &Service{cfg: cfg} }

// User is a tenant account: shopper, tenant staff, merchant or pickup
// operator. (tenant table users)
type User struct {
	bun.BaseModel `bun:"table:users"`
	TenantID      string    `bun:"tenant_id,pk" json:"-"`
	ID            string    `bun:"id,pk" json:"id"`
	Email         *string   `bun:"email" json:"email,omitempty"`
	Phone         *string   `bun:"phone" json:"phone,omitempty"`
	Name          string    `bun:"name,notnull" json:"name"`
	CreatedAt     time.Time `bun:"created_at,notnull" json:"created_at"`
}

// UserInput creates a tenant account. Login is by e-mail or phone; at
// least one is required.
type UserInput struct {
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// CreateUser creates a tenant account inside tx for the tenant in ctx.
// Returns Invalid with field errors (including a taken e-mail or phone).
func (s *Service) CreateUser(ctx context.Context, tx bun.IDB, in UserInput) (*User, error) {
	panic("unimplemented")
}

// Register creates a shopper account and returns it.
func (s *Service) Register(ctx context.Context, in UserInput) (*User, error) { panic("unimplemented") }

// Login checks login (e-mail or phone) and password for the tenant in ctx
// and returns a new session token (the cookie value). Throttled logins
// return TooManyRequests; wrong credentials Unauthenticated.
func (s *Service) Login(ctx context.Context, login, password string) (string, *User, error) {
	panic("unimplemented")
}

// PlatformLogin is Login for platform accounts.
func (s *Service) PlatformLogin(ctx context.Context, email, password string) (string, error) {
	panic("unimplemented")
}

// Logout ends the session of p.
func (s *Service) Logout(ctx context.Context, p *Principal) error { panic("unimplemented") }

// Authenticate implements httpx.Authenticator.
func (s *Service) Authenticate(ctx context.Context, r *http.Request) (*Principal, error) {
	return nil, nil
}

// SetSessionCookie writes the session cookie (HttpOnly, SameSite=Lax,
// Secure under TLS).
func (s *Service) SetSessionCookie(w http.ResponseWriter, token string) {}

// ClearSessionCookie removes it.
func (s *Service) ClearSessionCookie(w http.ResponseWriter) {}

// UserByID returns a user of the tenant in ctx; NotFound otherwise.
func (s *Service) UserByID(ctx context.Context, idb bun.IDB, id string) (*User, error) {
	panic("unimplemented")
}

// CreatePlatformAdmin creates (or resets the password of) a platform
// account.
func (s *Service) CreatePlatformAdmin(ctx context.Context, email, name, password string) error {
	panic("unimplemented")
}
