// Package identity holds accounts and how they prove who they are:
// shoppers and tenant staff (per tenant), platform staff (global),
// passwords, database sessions, API bearer tokens, login throttling and
// password resets.
//
// Every tenant-scoped call reads the tenant from ctx (tenants.FromContext)
// and works inside the tenant's transaction; platform accounts live in the
// global tables platform_users and platform_sessions.
package identity

import (
	"log/slog"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core/db"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "jishi_session"

// Defaults and limits.
const (
	// DefaultSessionTTL is how long an idle session lives when
	// Config.SessionTTL is zero.
	DefaultSessionTTL = 14 * 24 * time.Hour
	// PasswordMin and PasswordMax bound a password's length in characters.
	PasswordMin = 8
	PasswordMax = 128
	// NameMax bounds an account's display name in characters.
	NameMax = 40
	// MaxFailedLogins failed sign-ins within FailureWindow lock an account
	// for LockDuration.
	MaxFailedLogins = 5
	FailureWindow   = time.Minute
	LockDuration    = 5 * time.Minute
	// MaxActsPerIP registrations, and as many password-reset requests,
	// from one client IP at one tenant within ActWindow block further ones
	// from there for the rest of the window (a brake on account farming and
	// mail flooding that a shared address rarely reaches).
	MaxActsPerIP = 10
	ActWindow    = 10 * time.Minute
	// ResetTTL is how long a password-reset link works.
	ResetTTL = time.Hour

	// seenEvery is how often a session's last_seen_at (and with it its
	// idle expiry) is written back.
	seenEvery = time.Minute
	// cacheTTL is how long a resolved credential is trusted from memory.
	cacheTTL = 10 * time.Second
)

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

// Service is the identity context's API. It is safe for concurrent use.
//
// It keeps two pieces of state in memory: a short-lived cache of resolved
// credentials (see Authenticate) and the per-client-IP limiter of failed
// sign-ins. Both are per process.
type Service struct {
	cfg   Config
	cache *credCache
	ipLim *limiter // failed sign-ins per tenant and client IP
	unkn  *limiter // failed sign-ins per tenant and login naming no account
	acts  *limiter // registrations and reset requests per tenant and client IP

	dummyOnce sync.Once
	dummy     string // a hash to compare against for unknown logins

	hookMu     sync.RWMutex
	onRegister []RegisterHook
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Mailer == nil {
		cfg.Mailer = &OutboxMailer{DB: cfg.DB}
	}
	return &Service{
		cfg:   cfg,
		cache: newCredCache(),
		ipLim: newLimiter(ipFailures, FailureWindow, FailureWindow),
		unkn:  newLimiter(MaxFailedLogins, FailureWindow, LockDuration),
		acts:  newLimiter(MaxActsPerIP, ActWindow, ActWindow),
	}
}

// Mailer returns the mailer the service sends through.
func (s *Service) Mailer() Mailer { return s.cfg.Mailer }

func (s *Service) log() *slog.Logger { return slog.Default().With("component", "identity") }
