package fulfil

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Slots are explicit dated windows: a shop creates them one day at a time
// or for a run of days with the same times (SlotInput.Days), and changes
// or removes each. A row per dated slot is what lets Book take a unit with
// one conditional UPDATE.

// fill sets the slot's computed fields in loc.
func (sl *Slot) fill(loc *time.Location) {
	sl.Remaining = max(sl.Capacity-sl.Booked, 0)
	start, end := sl.StartsAt.In(loc), sl.EndsAt.In(loc)
	sl.Date, sl.Start, sl.End = start.Format("2006-01-02"), start.Format("15:04"), end.Format("15:04")
}

func fillSlots(ctx context.Context, slots []*Slot) {
	loc := tenants.MustFromContext(ctx).Location()
	for _, sl := range slots {
		sl.fill(loc)
	}
}

// capacity checks a slot's capacity.
func capacity(fe *core.FieldErrors, v int) {
	if v < 1 || v > MaxCapacity {
		fe.Add("capacity", "fulfil.field.capacity_range")
	}
}

// checkSlots validates in and returns the slots it describes, in the
// tenant's zone, starting after now and on days up to SlotsAheadDays
// ahead.
func checkSlots(fe *core.FieldErrors, in SlotInput, loc *time.Location, now time.Time) []*Slot {
	capacity(fe, in.Capacity)
	days := in.Days
	if days == 0 {
		days = 1
	}
	if days < 1 || days > MaxSlotDays {
		fe.Add("days", "fulfil.field.slot_days_range")
	}
	day, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(in.Date), loc)
	if err != nil {
		fe.Add("date", "fulfil.field.date_invalid")
	}
	start, okStart := clockMinutes(in.Start)
	if !okStart {
		fe.Add("start", "fulfil.field.time_invalid")
	}
	end, okEnd := clockMinutes(in.End)
	if !okEnd {
		fe.Add("end", "fulfil.field.time_invalid")
	}
	if okStart && okEnd && end <= start {
		fe.Add("end", "fulfil.field.end_before_start")
	}
	if len(*fe) > 0 {
		return nil
	}
	today := midnight(now.In(loc))
	if day.Before(today) {
		fe.Add("date", "fulfil.field.slot_past")
		return nil
	}
	if day.AddDate(0, 0, days-1).After(today.AddDate(0, 0, SlotsAheadDays)) {
		fe.Add("date", "fulfil.field.slot_too_far")
		return nil
	}
	var out []*Slot
	for i := range days {
		d := day.AddDate(0, 0, i)
		sl := &Slot{
			StartsAt: time.Date(d.Year(), d.Month(), d.Day(), start/60, start%60, 0, 0, loc).UTC(),
			EndsAt:   time.Date(d.Year(), d.Month(), d.Day(), end/60, end%60, 0, 0, loc).UTC(),
			Capacity: in.Capacity,
		}
		if !sl.StartsAt.After(now) {
			fe.Add("start", "fulfil.field.slot_past")
			return nil
		}
		out = append(out, sl)
	}
	return out
}

// Slots lists shop shopID's slots that have not ended, soonest first
// (at most 1000). p needs PermManage in the shop's domain; NotFound for
// shops outside p's reach.
func (s *Service) Slots(ctx context.Context, p *identity.Principal, shopID string) ([]*Slot, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	slots := []*Slot{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		return db.Select(ctx, tx, &slots).Where("ds.shop_id = ?", sh.ID).Where("ds.ends_at > ?", s.Clock().UTC()).
			Order("ds.starts_at", "ds.id").Limit(1000).Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list slots: %w", err)
	}
	fillSlots(ctx, slots)
	return slots, nil
}

// CreateSlots adds the slots in describes to shop shopID's scheduled
// delivery. p needs PermManage in the shop's domain.
//
// Returns NotFound for shops outside p's reach; Forbidden when p may see
// the shop but not this; Conflict for a closed shop, and Conflict with
// field "start" when the shop has a slot starting at the same time;
// Invalid with field errors (capacity outside 1–10000, a bad date or
// time, an end not after the start, a slot already started, days outside
// 1–31 or beyond 60 days ahead). Nothing is written on an error.
func (s *Service) CreateSlots(ctx context.Context, p *identity.Principal, shopID string, in SlotInput) ([]*Slot, error) {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return nil, err
	}
	now := s.Clock()
	var fe core.FieldErrors
	slots := checkSlots(&fe, in, t.Location(), now)
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		starts := make([]time.Time, len(slots))
		at := now.UTC()
		for i, sl := range slots {
			sl.TenantID, sl.ID, sl.ShopID, sl.CreatedAt, sl.UpdatedAt = t.ID, tenants.NewID(), sh.ID, at, at
			starts[i] = sl.StartsAt
		}
		taken, err := db.Select(ctx, tx, (*Slot)(nil)).Where("ds.shop_id = ?", sh.ID).Where("ds.starts_at IN (?)", bun.List(starts)).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up slots: %w", err)
		}
		if taken {
			return slotTaken()
		}
		if _, err := tx.NewInsert().Model(&slots).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return slotTaken()
			}
			return fmt.Errorf("create slots: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	fillSlots(ctx, slots)
	return slots, nil
}

func slotTaken() error {
	return &core.Error{Code: core.Conflict, Message: "fulfil.error.slot_exists", Fields: map[string]string{"start": "fulfil.field.slot_exists"}}
}

// shopSlot loads slot id of shop shopID.
func shopSlot(ctx context.Context, tx bun.IDB, shopID, id string) (*Slot, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	sl := new(Slot)
	if err := db.Select(ctx, tx, sl).Where("ds.id = ?", id).Where("ds.shop_id = ?", shopID).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return sl, nil
}

// SetSlotCapacity changes the capacity of slot slotID of shop shopID. p
// needs PermManage in the shop's domain.
//
// Returns NotFound for shops outside p's reach and slots not of the shop;
// Invalid (field capacity) outside 1–10000; Conflict (field capacity) below
// the units already booked.
func (s *Service) SetSlotCapacity(ctx context.Context, p *identity.Principal, shopID, slotID string, n int) (*Slot, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	capacity(&fe, n)
	var sl *Slot
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		if sl, err = shopSlot(ctx, tx, sh.ID, slotID); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		res, err := db.Update(ctx, tx, (*Slot)(nil)).Set("capacity = ?", n).Set("updated_at = ?", s.Clock().UTC()).
			Where("ds.id = ?", sl.ID).Where("ds.booked <= ?", n).Exec(ctx)
		if err != nil {
			return fmt.Errorf("change capacity of slot %s: %w", sl.ID, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return &core.Error{Code: core.Conflict, Message: "fulfil.error.below_booked",
				Fields: map[string]string{"capacity": "fulfil.field.below_booked"}}
		}
		sl, err = shopSlot(ctx, tx, sh.ID, sl.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	fillSlots(ctx, []*Slot{sl})
	return sl, nil
}

// DeleteSlot removes slot slotID of shop shopID when nothing is booked in
// it (cancelled bookings forget it). p needs PermManage in the shop's
// domain. Returns NotFound for shops outside p's reach and slots not of
// the shop; Conflict when units are booked.
func (s *Service) DeleteSlot(ctx context.Context, p *identity.Principal, shopID, slotID string) error {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return err
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.writableShop(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		sl, err := shopSlot(ctx, tx, sh.ID, slotID)
		if err != nil {
			return err
		}
		if sl.Booked > 0 {
			return core.Errorf(core.Conflict, "fulfil.error.slot_booked")
		}
		if _, err := db.Update(ctx, tx, (*Booking)(nil)).Set("slot_id = NULL").Where("bk.slot_id = ?", sl.ID).
			Where("bk.status = ?", BookingCancelled).Exec(ctx); err != nil {
			return fmt.Errorf("detach cancelled bookings from slot %s: %w", sl.ID, err)
		}
		res, err := db.Delete(ctx, tx, (*Slot)(nil)).Where("ds.id = ?", sl.ID).Where("ds.booked = 0").Exec(ctx)
		if err != nil {
			return fmt.Errorf("delete slot %s: %w", sl.ID, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return core.Errorf(core.Conflict, "fulfil.error.slot_booked")
		}
		return nil
	})
}

// offeredSlots returns shop shopID's slots that start after now and on a
// day before today+days (tenant's zone), soonest first.
func offeredSlots(ctx context.Context, idb bun.IDB, shopID string, days int, now time.Time) ([]*Slot, error) {
	loc := tenants.MustFromContext(ctx).Location()
	horizon := midnight(now.In(loc)).AddDate(0, 0, days)
	slots := []*Slot{}
	err := db.Select(ctx, idb, &slots).Where("ds.shop_id = ?", shopID).Where("ds.starts_at > ?", now.UTC()).
		Where("ds.starts_at < ?", horizon.UTC()).Order("ds.starts_at", "ds.id").Limit(500).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list offered slots: %w", err)
	}
	fillSlots(ctx, slots)
	return slots, nil
}

// inHorizon reports whether slot sl may be chosen at now: it has not
// started and starts on a day before today+days.
func inHorizon(sl *Slot, days int, now time.Time, loc *time.Location) (past, beyond bool) {
	horizon := midnight(now.In(loc)).AddDate(0, 0, days)
	return !sl.StartsAt.After(now), !sl.StartsAt.Before(horizon)
}
