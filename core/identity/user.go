package identity

import (
	"context"
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

// Account statuses.
const (
	StatusActive   = "active"
	StatusDisabled = "disabled"
)

// User is a tenant account: shopper, tenant staff, merchant or pickup
// operator. (tenant table users; e-mail and phone are stored normalised
// and are unique within the tenant.)
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`
	TenantID      string     `bun:"tenant_id,pk" json:"-"`
	ID            string     `bun:"id,pk" json:"id"`
	Email         *string    `bun:"email" json:"email,omitempty"`
	Phone         *string    `bun:"phone" json:"phone,omitempty"`
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

// Login returns the account's e-mail, or its phone when it has none.
func (u *User) Login() string {
	if u.Email != nil {
		return *u.Email
	}
	if u.Phone != nil {
		return *u.Phone
	}
	return ""
}

// UserInput creates a tenant account. Login is by e-mail or phone; at
// least one is required.
type UserInput struct {
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// RegisterHook runs inside the transaction that creates an account through
// Register, with the tenant in ctx (the authorisation context assigns the
// shopper role this way). An error rolls the registration back.
type RegisterHook func(ctx context.Context, tx bun.IDB, u *User) error

// OnRegister adds a hook run for every account created by Register.
func (s *Service) OnRegister(h RegisterHook) {
	s.hookMu.Lock()
	s.onRegister = append(s.onRegister, h)
	s.hookMu.Unlock()
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// validateUser checks in and returns the normalised e-mail, phone and
// name.
func validateUser(fe *core.FieldErrors, in UserInput) (email, phone, name string) {
	email = validate.Email(fe, "email", in.Email, false)
	phone = validate.Phone(fe, "phone", in.Phone, false)
	if email == "" && phone == "" {
		fe.Add("email", "identity.field.email_or_phone")
		fe.Add("phone", "identity.field.email_or_phone")
	}
	name = validate.Text(fe, "name", in.Name, 1, NameMax)
	checkPassword(fe, "password", in.Password)
	return email, phone, name
}

// CreateUser creates a tenant account inside tx for the tenant in ctx.
// Returns Invalid with field errors (email, phone, name, password),
// including a taken e-mail or phone; nothing is written then.
func (s *Service) CreateUser(ctx context.Context, tx bun.IDB, in UserInput) (*User, error) {
	return s.createUser(ctx, tx, in, "")
}

// createUser is CreateUser with the password's hash computed beforehand
// ("" computes it here), so callers can hash outside the transaction.
func (s *Service) createUser(ctx context.Context, tx bun.IDB, in UserInput, hash string) (*User, error) {
	tenantID := db.TenantID(ctx)
	var fe core.FieldErrors
	email, phone, name := validateUser(&fe, in)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := loginsTaken(ctx, tx, &fe, email, phone); err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if hash == "" {
		var err error
		if hash, err = s.hashPassword(in.Password); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC()
	u := &User{
		TenantID: tenantID, ID: tenants.NewID(), Email: strPtr(email), Phone: strPtr(phone),
		Name: name, PasswordHash: hash, Status: StatusActive, CreatedAt: now, UpdatedAt: now,
	}
	if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			// Lost a race with a concurrent registration.
			if err := loginsTaken(ctx, tx, &fe, email, phone); err != nil {
				return nil, err
			}
			if len(fe) == 0 {
				fe.Add("email", "identity.field.email_taken")
			}
			return nil, fe.Err()
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// loginsTaken records field errors for an e-mail or phone another account
// of the tenant in ctx already uses.
func loginsTaken(ctx context.Context, tx bun.IDB, fe *core.FieldErrors, email, phone string) error {
	check := func(field, col, v, key string) error {
		if v == "" {
			return nil
		}
		n, err := db.Select(ctx, tx, (*User)(nil)).Where("?TableAlias.? = ?", bun.Ident(col), v).Count(ctx)
		if err != nil {
			return fmt.Errorf("check %s: %w", field, err)
		}
		if n > 0 {
			fe.Add(field, key)
		}
		return nil
	}
	if err := check("email", "email", email, "identity.field.email_taken"); err != nil {
		return err
	}
	return check("phone", "phone", phone, "identity.field.phone_taken")
}

// Register creates a shopper account for the tenant in ctx, runs the
// OnRegister hooks in the same transaction, and returns the account.
// Returns Invalid with field errors; nothing is written then.
func (s *Service) Register(ctx context.Context, in UserInput) (*User, error) {
	var fe core.FieldErrors
	validateUser(&fe, in)
	if err := fe.Err(); err != nil {
		return nil, err // before any database work (and before hashing)
	}
	if err := s.act(ctx, "register"); err != nil {
		return nil, err
	}
	// Hash before the transaction: on SQLite a write transaction holds
	// the database's one write lock.
	hash, err := s.hashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	s.hookMu.RLock()
	hooks := append([]RegisterHook(nil), s.onRegister...)
	s.hookMu.RUnlock()
	var u *User
	err = s.cfg.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if u, err = s.createUser(ctx, tx, in, hash); err != nil {
			return err
		}
		for _, h := range hooks {
			if err := h(ctx, tx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UserByID returns a user of the tenant in ctx. Returns NotFound when id
// names no account of this tenant.
func (s *Service) UserByID(ctx context.Context, idb bun.IDB, id string) (*User, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, errNotFound
	}
	u := new(User)
	if err := db.Select(ctx, idb, u).Where("u.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return u, nil
}

// UserByLogin returns the account of the tenant in ctx whose e-mail or
// phone is login (normalised). Returns NotFound when there is none.
func (s *Service) UserByLogin(ctx context.Context, idb bun.IDB, login string) (*User, error) {
	col, v := loginColumn(login)
	if v == "" {
		return nil, errNotFound
	}
	u := new(User)
	if err := db.Select(ctx, idb, u).Where("?TableAlias.? = ?", bun.Ident(col), v).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return u, nil
}

// loginColumn says whether login is an e-mail address or a phone number
// and returns it normalised.
func loginColumn(login string) (col, value string) {
	if strings.Contains(login, "@") || strings.Contains(login, "＠") {
		return "email", validate.NormalizeEmail(login)
	}
	return "phone", validate.NormalizePhone(login)
}

// ProvisionAdmin creates the first tenant-admin account of a new tenant t
// when in.AdminEmail is set, inside the provisioning transaction tx; it
// returns nil, nil otherwise. The name defaults to the e-mail's local
// part. Field errors come back under admin_email, admin_name and
// admin_password. Assigning the tenant_admin role is the caller's part.
func (s *Service) ProvisionAdmin(ctx context.Context, tx bun.IDB, t *tenants.Tenant, in tenants.CreateInput) (*User, error) {
	if strings.TrimSpace(in.AdminEmail) == "" {
		return nil, nil
	}
	ctx = tenants.WithTenant(ctx, t)
	name := strings.TrimSpace(in.AdminName)
	if name == "" {
		name, _, _ = strings.Cut(validate.NormalizeEmail(in.AdminEmail), "@")
		if r := []rune(name); len(r) > NameMax {
			name = string(r[:NameMax])
		}
	}
	u, err := s.CreateUser(ctx, tx, UserInput{Email: in.AdminEmail, Name: name, Password: in.AdminPassword})
	if err != nil {
		if e, ok := err.(*core.Error); ok && len(e.Fields) > 0 {
			f := map[string]string{}
			for k, v := range e.Fields {
				if k == "phone" {
					continue
				}
				f["admin_"+k] = v
			}
			return nil, &core.Error{Code: e.Code, Message: e.Message, Fields: f}
		}
		return nil, err
	}
	return u, nil
}
