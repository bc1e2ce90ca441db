package inventory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// LotInput is a receipt of stock: how many units of which SKU came into
// which warehouse, when, until when they are good, and where they come
// from. Dates are "YYYY-MM-DD".
type LotInput struct {
	SKUID       string `json:"sku_id"`
	WarehouseID string `json:"warehouse_id"`
	// Quantity is 1 to MaxQuantity units.
	Quantity int64 `json:"quantity"`
	// ReceivedOn defaults to today (the tenant's time zone) and may not be
	// later; BestBefore is required and after it.
	ReceivedOn string `json:"received_on"`
	BestBefore string `json:"best_before"`
	// Producer is the farmer, base operator or supplier (required: every
	// label maps to one); Base the production base (基地).
	Producer string `json:"producer"`
	Base     string `json:"base"`
	// Optional growing dates, in order: sown ≤ fertilised, pesticide ≤
	// harvested ≤ received.
	SownOn       string `json:"sown_on"`
	FertilisedOn string `json:"fertilised_on"`
	PesticideOn  string `json:"pesticide_on"`
	HarvestedOn  string `json:"harvested_on"`
	// ResidueTest is the pesticide-residue test result (农残检测), as text.
	ResidueTest string `json:"residue_test"`
	Note        string `json:"note"`
}

// dateField parses field s (optional unless required) into a Date.
func dateField(fe *core.FieldErrors, field, s string, required bool) Date {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			fe.Add(field, "field.required")
		}
		return ""
	}
	d, err := ParseDate(s)
	if err != nil {
		fe.Add(field, "inventory.field.date_invalid")
		return ""
	}
	return d
}

// checkLot validates in against today and returns the lot to insert
// (without ids).
func checkLot(fe *core.FieldErrors, in LotInput, today Date) *Lot {
	l := &Lot{}
	if strings.TrimSpace(in.SKUID) == "" {
		fe.Add("sku_id", "field.required")
	}
	if strings.TrimSpace(in.WarehouseID) == "" {
		fe.Add("warehouse_id", "field.required")
	}
	if in.Quantity < 1 || in.Quantity > MaxQuantity {
		fe.Add("quantity", "inventory.field.quantity_range")
	}
	l.QtyReceived, l.OnHand = int(in.Quantity), int(in.Quantity)
	l.ReceivedOn = dateField(fe, "received_on", in.ReceivedOn, false)
	if l.ReceivedOn == "" && (*fe)["received_on"] == "" {
		l.ReceivedOn = today
	}
	if l.ReceivedOn != "" && today.Before(l.ReceivedOn) {
		fe.Add("received_on", "inventory.field.received_future")
	}
	l.BestBefore = dateField(fe, "best_before", in.BestBefore, true)
	if l.BestBefore != "" && l.ReceivedOn != "" && !l.ReceivedOn.Before(l.BestBefore) {
		fe.Add("best_before", "inventory.field.best_before_order")
	}
	l.SownOn = dateField(fe, "sown_on", in.SownOn, false)
	l.FertilisedOn = dateField(fe, "fertilised_on", in.FertilisedOn, false)
	l.PesticideOn = dateField(fe, "pesticide_on", in.PesticideOn, false)
	l.HarvestedOn = dateField(fe, "harvested_on", in.HarvestedOn, false)
	// Each date may not be earlier than the ones before it.
	order := []struct {
		field string
		d     Date
		after []Date
	}{
		{"fertilised_on", l.FertilisedOn, []Date{l.SownOn}},
		{"pesticide_on", l.PesticideOn, []Date{l.SownOn}},
		{"harvested_on", l.HarvestedOn, []Date{l.SownOn, l.FertilisedOn, l.PesticideOn}},
		{"received_on", l.ReceivedOn, []Date{l.SownOn, l.FertilisedOn, l.PesticideOn, l.HarvestedOn}},
	}
	for _, o := range order {
		for _, a := range o.after {
			if o.d != "" && a != "" && o.d.Before(a) {
				fe.Add(o.field, "inventory.field.date_order")
			}
		}
	}
	l.Producer = validate.Text(fe, "producer", in.Producer, 1, ProducerMax)
	l.Base = validate.Text(fe, "base", in.Base, 0, BaseMax)
	l.ResidueTest = validate.Text(fe, "residue_test", in.ResidueTest, 0, ResidueTestMax)
	l.Note = validate.Text(fe, "note", in.Note, 0, NoteMax)
	return l
}

// movement records one change of lot l.
func movement(ctx context.Context, tx bun.IDB, l *Lot, kind string, onHand, reserved int, reason, note, ref string, actor *string, now time.Time) error {
	return insertMovements(ctx, tx, []*Movement{newMovement(ctx, l, kind, onHand, reserved, reason, note, ref, actor, now)})
}

// newMovement is the record of one change to lot l.
func newMovement(ctx context.Context, l *Lot, kind string, onHand, reserved int, reason, note, ref string, actor *string, now time.Time) *Movement {
	return &Movement{
		TenantID: db.TenantID(ctx), ID: tenants.NewID(), LotID: l.ID, SKUID: l.SKUID, WarehouseID: l.WarehouseID,
		Kind: kind, OnHandDelta: onHand, ReservedDelta: reserved, Reason: reason, Note: note, Reference: ref,
		ActorID: actor, CreatedAt: now,
	}
}

// insertMovements records ms in one statement.
func insertMovements(ctx context.Context, tx bun.IDB, ms []*Movement) error {
	if len(ms) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&ms).Exec(ctx); err != nil {
		return fmt.Errorf("record %s of lot %s: %w", ms[0].Kind, ms[0].LotID, err)
	}
	return nil
}

// Receive records a receipt of stock into a warehouse as a new lot of a
// SKU of shop shopID. The warehouse is the tenant's main or a district
// warehouse, or one of the shop's own. p needs PermManage in the shop's
// domain.
//
// Returns NotFound when the shop is outside p's reach, or the SKU or the
// warehouse is absent, another tenant's or another shop's; Invalid with
// field errors for bad input (nothing is written then); Conflict for a
// closed shop or an archived SKU.
func (s *Service) Receive(ctx context.Context, p *identity.Principal, shopID string, in LotInput) (*Lot, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var out *Lot
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		var fe core.FieldErrors
		l := checkLot(&fe, in, s.today(ctx))
		if err := fe.Err(); err != nil {
			return err
		}
		k, err := loadSKU(ctx, tx, strings.TrimSpace(in.SKUID), sh.ID)
		if err != nil {
			return err
		}
		w, err := shopWarehouse(ctx, tx, sh, strings.TrimSpace(in.WarehouseID))
		if err != nil {
			return err
		}
		if k.Status != skuActive {
			return core.Errorf(core.Conflict, "inventory.error.sku_archived")
		}
		watch, err := s.watchStock(ctx, tx, []string{k.ID}, true)
		if err != nil {
			return err
		}
		if watch != nil {
			watch.always = true
		}
		now := s.now().UTC()
		l.TenantID, l.ID, l.SKUID, l.ShopID, l.WarehouseID = sh.TenantID, tenants.NewID(), k.ID, sh.ID, w.ID
		l.CreatedBy, l.CreatedAt, l.UpdatedAt = &p.UserID, now, now
		if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
			return fmt.Errorf("receive lot: %w", err)
		}
		if err := movement(ctx, tx, l, MoveReceive, l.OnHand, 0, "", l.Note, "", &p.UserID, now); err != nil {
			return err
		}
		if err := s.report(ctx, tx, watch); err != nil {
			return err
		}
		l.fill(s.today(ctx))
		out = l
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LotFilter narrows the lots of a SKU.
type LotFilter struct {
	// Empty includes lots with nothing on hand.
	Empty bool
	merchant.Page
}

// SKUStock is a SKU's stock: its lots in FIFO order (the order they are
// sold in), what can be sold now and its low-stock threshold.
type SKUStock struct {
	SKUID     string `json:"sku_id"`
	Available int    `json:"available"`
	Threshold int    `json:"threshold"`
	Lots      []*Lot `json:"lots"`
}

// fifoOrder is the order lots are sold in: oldest received first, then
// earliest best-before.
var fifoOrder = []string{"l.received_on", "l.best_before", "l.created_at", "l.id"}

// Lots returns the stock of SKU skuID of shop shopID: its lots in FIFO
// order (those with stock on hand, unless f.Empty; windowed by f.Page),
// the units available now and the threshold. p needs PermManage in the
// shop's domain. NotFound for shops outside p's reach and SKUs that are
// not the shop's.
func (s *Service) Lots(ctx context.Context, p *identity.Principal, shopID, skuID string, f LotFilter) (*SKUStock, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	out := &SKUStock{Lots: []*Lot{}}
	today := s.today(ctx)
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		k, err := loadSKU(ctx, tx, skuID, sh.ID)
		if err != nil {
			return err
		}
		out.SKUID = k.ID
		q := db.Select(ctx, tx, &out.Lots).Where("l.sku_id = ?", k.ID).Order(fifoOrder...)
		if !f.Empty {
			q = q.Where("l.on_hand > 0")
		}
		if f.Offset > 0 {
			q = q.Offset(int64(f.Offset))
		}
		if f.Limit > 0 {
			q = q.Limit(int64(f.Limit))
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("list lots: %w", err)
		}
		if out.Available, err = available(ctx, tx, []string{k.ID}, nil, today); err != nil {
			return err
		}
		out.Threshold, err = thresholdOf(ctx, tx, k.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, l := range out.Lots {
		l.fill(today)
	}
	return out, nil
}

// AdjustInput corrects a lot's units on hand.
type AdjustInput struct {
	LotID string `json:"lot_id"`
	// Delta is added to on hand: positive when a count finds more,
	// negative for a count finding fewer, damage or expiry. Not zero; at
	// most MaxQuantity either way.
	Delta int64 `json:"delta"`
	// Reason is count, damage, expired or other; damage and expired take
	// stock out (Delta < 0).
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// Adjust corrects the units on hand of a lot of shop shopID and records
// the movement with its reason. On hand may not fall below the reserved
// units (or zero). p needs PermManage in the shop's domain.
//
// Returns NotFound when the shop is outside p's reach or the lot is not
// the shop's; Invalid with field errors for bad input; Conflict when the
// lot has too few unreserved units, or the shop is closed.
func (s *Service) Adjust(ctx context.Context, p *identity.Principal, shopID string, in AdjustInput) (*Lot, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	if strings.TrimSpace(in.LotID) == "" {
		fe.Add("lot_id", "field.required")
	}
	if in.Delta == 0 || in.Delta > MaxQuantity || in.Delta < -MaxQuantity {
		fe.Add("delta", "inventory.field.delta_range")
	}
	reason := strings.TrimSpace(in.Reason)
	switch reason {
	case ReasonCount, ReasonOther:
	case ReasonDamage, ReasonExpired:
		if in.Delta > 0 {
			fe.Add("delta", "inventory.field.delta_sign")
		}
	case "":
		fe.Add("reason", "field.required")
	default:
		fe.Add("reason", "inventory.field.reason_invalid")
	}
	note := validate.Text(&fe, "note", in.Note, 0, NoteMax)
	delta := int(in.Delta)
	var out *Lot
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		l, err := shopLot(ctx, tx, sh.ID, strings.TrimSpace(in.LotID))
		if err != nil {
			return err
		}
		watch, err := s.watchStock(ctx, tx, []string{l.SKUID}, true)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		res, err := db.Update(ctx, tx, (*Lot)(nil)).
			Set("on_hand = on_hand + ?", delta).Set("updated_at = ?", now).
			Where("l.id = ?", l.ID).Where("l.on_hand + ? >= l.reserved", delta).Exec(ctx)
		if err != nil {
			return fmt.Errorf("adjust lot %s: %w", l.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.Errorf(core.Conflict, "inventory.error.below_reserved")
		}
		if err := movement(ctx, tx, l, MoveAdjust, delta, 0, reason, note, "", &p.UserID, now); err != nil {
			return err
		}
		if err := s.report(ctx, tx, watch); err != nil {
			return err
		}
		out, err = shopLot(ctx, tx, sh.ID, l.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.fill(s.today(ctx))
	return out, nil
}

// shopLot loads lot id of shop shopID; NotFound otherwise.
func shopLot(ctx context.Context, tx bun.IDB, shopID, id string) (*Lot, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	l := new(Lot)
	if err := db.Select(ctx, tx, l).Where("l.id = ?", id).Where("l.shop_id = ?", shopID).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return l, nil
}

// Movements returns the history of lot lotID of shop shopID, oldest
// first. p needs PermManage in the shop's domain; NotFound for lots that
// are not the shop's.
func (s *Service) Movements(ctx context.Context, p *identity.Principal, shopID, lotID string) ([]*Movement, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	ms := []*Movement{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		l, err := shopLot(ctx, tx, sh.ID, lotID)
		if err != nil {
			return err
		}
		return db.Select(ctx, tx, &ms).Where("m.lot_id = ?", l.ID).Order("m.created_at", "m.id").Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return ms, nil
}

// MaxLotsPerReceipt bounds ReceiveLots.
const MaxLotsPerReceipt = 1000

// ReceiveLots is Receive for many lots of shop shopID at once (a delivery
// of many SKUs, an import, the demo seed), in one transaction: all are
// received or none. Field errors are named "lots.{i}.{field}"; "lots"
// when there are none or more than MaxLotsPerReceipt. Returns the errors
// of Receive otherwise, for the first lot that has one.
func (s *Service) ReceiveLots(ctx context.Context, p *identity.Principal, shopID string, ins []LotInput) ([]*Lot, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var out []*Lot
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		var fe core.FieldErrors
		if len(ins) == 0 || len(ins) > MaxLotsPerReceipt {
			fe.Add("lots", "inventory.field.lots_count")
			return fe.Err()
		}
		today := s.today(ctx)
		lots := make([]*Lot, len(ins))
		var skuIDs, whIDs []string
		bad := false
		for i, in := range ins {
			var one core.FieldErrors
			lots[i] = checkLot(&one, in, today)
			for f, key := range one {
				fe.Add("lots."+strconv.Itoa(i)+"."+f, key)
			}
			lots[i].SKUID, lots[i].WarehouseID = strings.TrimSpace(in.SKUID), strings.TrimSpace(in.WarehouseID)
			if !validID(lots[i].SKUID) || !validID(lots[i].WarehouseID) {
				bad = true // NotFound, after the field errors
				continue
			}
			if !slices.Contains(skuIDs, lots[i].SKUID) {
				skuIDs = append(skuIDs, lots[i].SKUID)
			}
			if !slices.Contains(whIDs, lots[i].WarehouseID) {
				whIDs = append(whIDs, lots[i].WarehouseID)
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if bad {
			return errNotFound
		}
		var skus []*sku
		if err := db.Select(ctx, tx, &skus).Where("k.id IN (?)", bun.List(skuIDs)).Where("k.shop_id = ?", sh.ID).Scan(ctx); err != nil {
			return fmt.Errorf("look up skus: %w", err)
		}
		byID := map[string]*sku{}
		for _, k := range skus {
			byID[k.ID] = k
		}
		var whs []*Warehouse
		if err := db.Select(ctx, tx, &whs).Where("w.id IN (?)", bun.List(whIDs)).Scan(ctx); err != nil {
			return fmt.Errorf("look up warehouses: %w", err)
		}
		usable := map[string]bool{}
		for _, w := range whs {
			usable[w.ID] = w.Kind != KindShop || (w.ShopID != nil && *w.ShopID == sh.ID)
		}
		for _, l := range lots {
			if byID[l.SKUID] == nil || !usable[l.WarehouseID] {
				return errNotFound
			}
			if byID[l.SKUID].Status != skuActive {
				return core.Errorf(core.Conflict, "inventory.error.sku_archived")
			}
		}
		slices.Sort(skuIDs)
		watch, err := s.watchStock(ctx, tx, skuIDs, true)
		if err != nil {
			return err
		}
		if watch != nil {
			watch.always = true
		}
		now := s.now().UTC()
		ms := make([]*Movement, len(lots))
		for i, l := range lots {
			l.TenantID, l.ID, l.ShopID = sh.TenantID, tenants.NewID(), sh.ID
			l.CreatedBy, l.CreatedAt, l.UpdatedAt = &p.UserID, now, now
			ms[i] = &Movement{TenantID: l.TenantID, ID: tenants.NewID(), LotID: l.ID, SKUID: l.SKUID, WarehouseID: l.WarehouseID,
				Kind: MoveReceive, OnHandDelta: l.OnHand, Note: l.Note, ActorID: &p.UserID, CreatedAt: now}
		}
		if _, err := tx.NewInsert().Model(&lots).Exec(ctx); err != nil {
			return fmt.Errorf("receive lots: %w", err)
		}
		if _, err := tx.NewInsert().Model(&ms).Exec(ctx); err != nil {
			return fmt.Errorf("record receipts: %w", err)
		}
		if err := s.report(ctx, tx, watch); err != nil {
			return err
		}
		for _, l := range lots {
			l.fill(today)
		}
		out = lots
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
