package merchant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// addStaff records userID as role on shop sh and assigns the role on
// OwnerDomain(shop) inside tx.
func (s *Service) addStaff(ctx context.Context, tx bun.IDB, sh *Shop, userID, role string, now time.Time) error {
	m := &StaffMember{TenantID: sh.TenantID, ID: tenants.NewID(), ShopID: sh.ID, UserID: userID, Role: role, CreatedAt: now}
	if _, err := tx.NewInsert().Model(m).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			return core.Errorf(core.Conflict, "merchant.error.already_staff")
		}
		return fmt.Errorf("add staff to shop %s: %w", sh.ID, err)
	}
	if err := s.Authz.Assign(ctx, tx, userID, role, OwnerDomain(sh.TenantID, sh.ID)); err != nil {
		return fmt.Errorf("assign %s on shop %s: %w", role, sh.ID, err)
	}
	return nil
}

// Staff returns the people working for shop id — its owners and staff —
// with their names, oldest first. p needs PermStaff in the shop's domain.
// Returns NotFound when the shop is absent or outside p's reach; Forbidden
// when p may see it but not its staff.
func (s *Service) Staff(ctx context.Context, p *identity.Principal, shopID string) ([]*StaffMember, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	ms := []*StaffMember{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID, PermStaff)
		if err != nil {
			return err
		}
		return staffQuery(ctx, tx, &ms).Where("ss.shop_id = ?", sh.ID).Order("ss.created_at", "ss.id").Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}

// staffQuery selects staff rows with their accounts' name, e-mail and
// phone.
func staffQuery(ctx context.Context, tx bun.IDB, model any) *bun.SelectQuery {
	return db.Select(ctx, tx, model).ColumnExpr("ss.*").
		ColumnExpr("u.name AS user_name, coalesce(u.email, '') AS user_email, coalesce(u.phone, '') AS user_phone").
		Join("JOIN users AS u ON u.tenant_id = ss.tenant_id AND u.id = ss.user_id")
}

// Invitations returns the open (neither accepted nor expired) invitations
// of shop id, newest first. Permissions and errors as Staff.
func (s *Service) Invitations(ctx context.Context, p *identity.Principal, shopID string) ([]*Invitation, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	is := []*Invitation{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID, PermStaff)
		if err != nil {
			return err
		}
		return db.Select(ctx, tx, &is).Where("i.shop_id = ?", sh.ID).Where("i.accepted_at IS NULL").
			Where("i.expires_at > ?", time.Now().UTC()).Order("i.created_at DESC", "i.id DESC").Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return is, nil
}

func hashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Invite invites the person named by in.Email or in.Phone to shop id as
// in.Role (authz.MerchantStaff by default, or authz.MerchantOwner) and
// returns the invitation with its token, which is shown only now (it is
// stored hashed) and accepted with AcceptInvitation within InvitationTTL.
// p needs PermStaff in the shop's domain.
//
// Returns NotFound when the shop is absent or outside p's reach; Forbidden
// when p may see it but not manage its staff; Invalid with field errors
// for bad input; Conflict for a closed shop.
func (s *Service) Invite(ctx context.Context, p *identity.Principal, shopID string, in InviteInput) (*Invitation, string, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, "", err
	}
	var fe core.FieldErrors
	email := validate.Email(&fe, "email", in.Email, false)
	phone := validate.Phone(&fe, "phone", in.Phone, false)
	if email == "" && phone == "" && fe["email"] == "" && fe["phone"] == "" {
		fe.Add("email", "merchant.field.contact_required")
	}
	role := strings.TrimSpace(in.Role)
	if role == "" {
		role = authz.MerchantStaff
	}
	if role != authz.MerchantStaff && role != authz.MerchantOwner {
		fe.Add("role", "merchant.field.role_invalid")
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	var inv *Invitation
	err = s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID, PermStaff)
		if err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if sh.Status == ShopClosed {
			return core.Errorf(core.Conflict, "merchant.error.shop_state")
		}
		now := time.Now().UTC()
		inv = &Invitation{
			TenantID: t.ID, ID: tenants.NewID(), ShopID: sh.ID, Email: email, Phone: phone, Role: role,
			TokenHash: hashToken(token), InvitedBy: p.UserID, ExpiresAt: now.Add(InvitationTTL), CreatedAt: now,
		}
		if _, err := tx.NewInsert().Model(inv).Exec(ctx); err != nil {
			return fmt.Errorf("invite to shop %s: %w", sh.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return inv, token, nil
}

var errInvitation = core.Errorf(core.NotFound, "merchant.error.invitation_invalid")

// AcceptInvitation makes p staff of the invitation's shop, in the invited
// role, assigned on "t/{tenant}/s/{shop}". p's account must carry the
// invited e-mail address or phone number.
//
// Returns NotFound for an unknown, used or expired token (or one of
// another tenant); Forbidden when the invitation names another account;
// Conflict when p already works for the shop or the shop is closed.
func (s *Service) AcceptInvitation(ctx context.Context, p *identity.Principal, token string) (*StaffMember, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 128 {
		return nil, errInvitation
	}
	var m *StaffMember
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		now := time.Now().UTC()
		inv := new(Invitation)
		err := db.Select(ctx, tx, inv).Where("i.token_hash = ?", hashToken(token)).Scan(ctx)
		if err != nil {
			return db.NotFound(err, errInvitation)
		}
		if inv.AcceptedAt != nil || !now.Before(inv.ExpiresAt) {
			return errInvitation
		}
		u, err := s.Identity.UserByID(ctx, tx, p.UserID)
		if err != nil {
			return fmt.Errorf("load invited account: %w", err)
		}
		if !invitedAccount(inv, u) {
			return core.Errorf(core.Forbidden, "merchant.error.invitation_other")
		}
		sh, err := loadShop(ctx, tx, inv.ShopID)
		if err != nil {
			return err
		}
		if sh.Status == ShopClosed {
			return core.Errorf(core.Conflict, "merchant.error.shop_state")
		}
		res, err := db.Update(ctx, tx, inv).Set("accepted_at = ?", now).Set("accepted_by = ?", p.UserID).
			WherePK().Where("i.accepted_at IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("accept invitation %s: %w", inv.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errInvitation
		}
		if err := s.addStaff(ctx, tx, sh, p.UserID, inv.Role, now); err != nil {
			return err
		}
		m = new(StaffMember)
		return staffQuery(ctx, tx, m).Where("ss.shop_id = ? AND ss.user_id = ?", sh.ID, p.UserID).Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// invitedAccount reports whether u is the person inv names.
func invitedAccount(inv *Invitation, u *identity.User) bool {
	if inv.Email != "" && u.Email != nil && validate.NormalizeEmail(*u.Email) == inv.Email {
		return true
	}
	if inv.Phone != "" && u.Phone != nil && validate.NormalizePhone(*u.Phone) == inv.Phone {
		return true
	}
	return false
}

// RemoveStaff removes userID from shop id's staff and withdraws the role it
// held there. The shop's founding owner (Shop.OwnerID) cannot be removed.
// p needs PermStaff in the shop's domain.
//
// Returns NotFound when the shop is absent or outside p's reach, or userID
// does not work for it; Forbidden when p may see the shop but not manage
// its staff; Conflict for the founding owner.
func (s *Service) RemoveStaff(ctx context.Context, p *identity.Principal, shopID, userID string) error {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID, PermStaff)
		if err != nil {
			return err
		}
		if !validID(userID) {
			return errNotFound
		}
		m := new(StaffMember)
		if err := db.Select(ctx, tx, m).Where("ss.shop_id = ? AND ss.user_id = ?", sh.ID, userID).Scan(ctx); err != nil {
			return db.NotFound(err, errNotFound)
		}
		if sh.OwnerID != nil && *sh.OwnerID == userID {
			return core.Errorf(core.Conflict, "merchant.error.owner_not_removable")
		}
		if _, err := db.Delete(ctx, tx, m).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("remove staff %s from shop %s: %w", userID, sh.ID, err)
		}
		if err := s.Authz.Unassign(ctx, tx, userID, m.Role, OwnerDomain(sh.TenantID, sh.ID)); err != nil {
			return fmt.Errorf("withdraw %s on shop %s: %w", m.Role, sh.ID, err)
		}
		return nil
	})
}
