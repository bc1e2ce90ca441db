package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// OutOfStockError is the cause inside the Conflict
// inventory.error.out_of_stock that Reserve returns: which SKU could not
// be met (errors.As finds it).
type OutOfStockError struct{ SKUID string }

func (e *OutOfStockError) Error() string { return "out of stock: sku " + e.SKUID }

// errOutOfStock is the answer when a reservation asks for more of skuID
// than can be sold.
func errOutOfStock(skuID string) error {
	return &core.Error{Code: core.Conflict, Message: "inventory.error.out_of_stock", Err: &OutOfStockError{SKUID: skuID}}
}

// servingRegions returns regionID and its parent (a warehouse serving a
// city serves its districts); NotFound for regions not of the tenant.
func servingRegions(ctx context.Context, tx bun.IDB, regionID string) ([]string, error) {
	r, err := tenants.RegionByID(ctx, tx, regionID)
	if err != nil {
		return nil, err
	}
	ids := []string{r.ID}
	if r.ParentID != nil {
		ids = append(ids, *r.ParentID)
	}
	return ids, nil
}

// sellable limits q (over lots l) to lots not expired on today and, when
// regions is not nil, kept in warehouses serving one of regions.
func sellable(ctx context.Context, tx bun.IDB, q *bun.SelectQuery, regions []string, today Date) *bun.SelectQuery {
	q = q.Where("l.best_before >= ?", today)
	if regions != nil {
		served := db.Select(ctx, tx, (*warehouseRegion)(nil)).Column("wr.warehouse_id").Where("wr.region_id IN (?)", bun.List(regions))
		q = q.Where("l.warehouse_id IN (?)", served)
	}
	return q
}

// available sums the units of skuIDs that can be sold on today.
func available(ctx context.Context, tx bun.IDB, skuIDs []string, regions []string, today Date) (int, error) {
	var n int
	q := db.Select(ctx, tx, (*Lot)(nil)).ColumnExpr("COALESCE(SUM(l.on_hand - l.reserved), 0)").Where("l.sku_id IN (?)", bun.List(skuIDs))
	if err := sellable(ctx, tx, q, regions, today).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("sum available stock: %w", err)
	}
	return n, nil
}

// Available returns how many units of SKU skuID can be sold now: on hand
// less reserved, over lots whose best-before is not before today in the
// tenant's time zone. With a region, only lots in warehouses serving it
// (or its city) count. NotFound for SKUs and regions of other tenants.
func (s *Service) Available(ctx context.Context, skuID string, regionID ...string) (int, error) {
	m, err := s.AvailableMany(ctx, []string{skuID}, regionID...)
	if err != nil {
		return 0, err
	}
	return m[skuID], nil
}

// AvailableMany is Available for several SKUs at once (a cart, a product's
// SKUs): a map from SKU id to units. NotFound when any SKU is not the
// tenant's.
func (s *Service) AvailableMany(ctx context.Context, skuIDs []string, regionID ...string) (map[string]int, error) {
	out := make(map[string]int, len(skuIDs))
	if len(skuIDs) == 0 {
		return out, nil
	}
	for _, id := range skuIDs {
		if !validID(id) {
			return nil, errNotFound
		}
		out[id] = 0
	}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		out, err = s.AvailableIn(ctx, tx, skuIDs, regionID...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Line is one line of a reservation: Qty units of a SKU, from warehouses
// serving RegionID when it is set.
type Line struct {
	SKUID    string `json:"sku_id"`
	Qty      int    `json:"qty"`
	RegionID string `json:"region_id,omitempty"`
}

// Reserve holds the units of lines for owner (e.g. a checkout id) for ttl,
// allocating each line first in, first out (oldest received, then earliest
// best-before) over lots that are not expired. It runs in tx, the caller's
// transaction, which must be bound to the tenant in ctx (db.RunInTx) and
// run at PostgreSQL's default READ COMMITTED: the reservation stands or
// falls with the caller's own rows.
//
// The sellable lots of the lines' SKUs are locked first, in id order (so
// two reservations never wait on each other in a cycle), read as they are
// once locked, allocated in FIFO order and taken in one conditional
// UPDATE; concurrent reservations therefore never oversell.
//
// Returns Conflict inventory.error.out_of_stock (wrapping an
// *OutOfStockError naming the SKU) when a line cannot be met — tx then holds partial work and
// must be rolled back; Conflict for an archived SKU; NotFound for SKU and
// region ids that are not the tenant's; Invalid with field errors
// ("lines.{i}.qty", "owner", "ttl") for bad input.
func (s *Service) Reserve(ctx context.Context, tx bun.IDB, lines []Line, owner string, ttl time.Duration) (*Reservation, error) {
	return s.ReserveWithID(ctx, tx, tenants.NewID(), lines, owner, ttl)
}

// ReserveWithID is Reserve under a reservation id the caller chose (a
// checkout writes its orders, which name their reservations, before it
// takes the stock, so that the lots stay locked as briefly as possible).
func (s *Service) ReserveWithID(ctx context.Context, tx bun.IDB, id string, lines []Line, owner string, ttl time.Duration) (*Reservation, error) {
	rs, err := s.ReserveAll(ctx, tx, []Hold{{ID: id, Lines: lines, Owner: owner, TTL: ttl}}, false)
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// Hold is one reservation of a ReserveAll: its id (chosen by the caller),
// lines, owner and time to live.
type Hold struct {
	ID    string
	Lines []Line
	Owner string
	TTL   time.Duration
}

// holdKey is one SKU wanted from the warehouses serving one region.
type holdKey struct{ sku, region string }

// checkHold validates h and answers its SKU × region keys in order with
// the units wanted of each. Field errors are prefixed with prefix.
func checkHold(h Hold, prefix string) ([]holdKey, map[holdKey]int, error) {
	var fe core.FieldErrors
	if !validID(h.ID) {
		fe.Add(prefix+"id", "field.invalid")
	}
	if len(h.Lines) == 0 || len(h.Lines) > MaxLines {
		fe.Add(prefix+"lines", "inventory.field.lines_count")
	}
	owner := strings.TrimSpace(h.Owner)
	if owner == "" {
		fe.Add(prefix+"owner", "field.required")
	} else if len([]rune(owner)) > OwnerMax {
		fe.Add(prefix+"owner", "field.too_long")
	}
	if h.TTL < time.Second || h.TTL > MaxTTL {
		fe.Add(prefix+"ttl", "inventory.field.ttl_range")
	}
	want := map[holdKey]int{}
	var keys []holdKey
	for i, ln := range h.Lines {
		if ln.Qty < 1 || ln.Qty > MaxQuantity {
			fe.Add(prefix+"lines."+strconv.Itoa(i)+".qty", "inventory.field.quantity_range")
			continue
		}
		k := holdKey{strings.TrimSpace(ln.SKUID), strings.TrimSpace(ln.RegionID)}
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
		want[k] += ln.Qty
		if want[k] > MaxQuantity {
			fe.Add(prefix+"lines."+strconv.Itoa(i)+".qty", "inventory.field.quantity_range")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	for _, k := range keys {
		if !validID(k.sku) || (k.region != "" && !validID(k.region)) {
			return nil, nil, errNotFound
		}
	}
	slices.SortFunc(keys, func(a, b holdKey) int {
		if c := strings.Compare(a.sku, b.sku); c != 0 {
			return c
		}
		return strings.Compare(a.region, b.region)
	})
	return keys, want, nil
}

// ReserveAll makes the reservations holds in tx at once, as Reserve makes
// one, in a fixed number of statements whatever the number of holds and
// lines: the SKUs are read once, the lots of all of them locked and read
// once, every lot taken in one UPDATE, and the reservations, allocations
// and movements written as one statement each. With commit, the units are
// sold at once (on_hand drops; the reservations are recorded committed,
// with the reserve and commit movements), as Commit would do after it.
//
// Errors as Reserve's; with several holds, field errors are named
// "holds.{i}.…".
func (s *Service) ReserveAll(ctx context.Context, tx bun.IDB, holds []Hold, commit bool) ([]*Reservation, error) {
	if len(holds) == 0 {
		return nil, nil
	}
	keys := make([][]holdKey, len(holds))
	wants := make([]map[holdKey]int, len(holds))
	var skuIDs []string
	for i, h := range holds {
		prefix := ""
		if len(holds) > 1 {
			prefix = "holds." + strconv.Itoa(i) + "."
		}
		var err error
		if keys[i], wants[i], err = checkHold(h, prefix); err != nil {
			return nil, err
		}
		for _, k := range keys[i] {
			if !slices.Contains(skuIDs, k.sku) {
				skuIDs = append(skuIDs, k.sku)
			}
		}
	}
	slices.Sort(skuIDs)
	var skus []*sku
	if err := db.Select(ctx, tx, &skus).Where("k.id IN (?)", bun.List(skuIDs)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("look up skus: %w", err)
	}
	if len(skus) != len(skuIDs) {
		return nil, errNotFound
	}
	var products []string
	for _, k := range skus {
		if k.Status != skuActive {
			return nil, core.Errorf(core.Conflict, "inventory.error.sku_archived")
		}
		if !slices.Contains(products, k.ProductID) {
			products = append(products, k.ProductID)
		}
	}
	productOf := map[string]string{}
	for _, k := range skus {
		productOf[k.ID] = k.ProductID
	}

	// First without locks: read the lots, allocate, write the
	// reservations, then lock just the lots allocated (in id order) and
	// take them if they still hold the units — the lots stay locked for
	// two statements and the commit. When another checkout took units
	// meanwhile, those locks are given back (a savepoint), the rows
	// written are removed, and the allocation is made again over all the
	// SKUs' lots, locked in id order. (On PostgreSQL the allocation and
	// movement rows carry no foreign key to the lots — migration 0018 —
	// so writing them first takes no lock on a lot.)
	now := s.now().UTC()
	today := s.today(ctx)
	p, err := s.planHolds(ctx, tx, holds, keys, wants, skuIDs, commit, false, today, now)
	if err != nil {
		return nil, err
	}
	if err := p.write(ctx, tx); err != nil {
		return nil, err
	}
	pg := tx.Dialect().Name() == dialect.PG
	if pg {
		// Rolling back to it releases the locks stillThere takes.
		if _, err := tx.ExecContext(ctx, "SAVEPOINT take_lots"); err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
	}
	ok, err := p.stillThere(ctx, tx, today)
	if err != nil {
		return nil, err
	}
	if !ok {
		// Lots are locked in id order only: give back the few taken
		// before locking them all.
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT take_lots"); err != nil {
			return nil, fmt.Errorf("rollback to savepoint: %w", err)
		}
		if err := p.unwrite(ctx, tx); err != nil {
			return nil, err
		}
		if p, err = s.planHolds(ctx, tx, holds, keys, wants, skuIDs, commit, true, today, now); err != nil {
			return nil, err
		}
		if err := p.write(ctx, tx); err != nil {
			return nil, err
		}
	}
	emptied, err := s.takeLots(ctx, tx, p.take, p.order, commit, today, now)
	if err != nil {
		return nil, err
	}
	// Only a lot taken to its last unit can leave a product without stock.
	var gone []string
	for _, l := range emptied {
		if pid := productOf[p.lots[l].SKUID]; !slices.Contains(gone, pid) {
			gone = append(gone, pid)
		}
	}
	slices.Sort(gone)
	if err := s.reportProductsTaken(ctx, tx, gone); err != nil {
		return nil, err
	}
	return p.out, nil
}

// holdPlan is an allocation of holds over lots: the reservations with
// their allocations, the units per lot, and the movements to record.
type holdPlan struct {
	out   []*Reservation
	take  map[string]int        // units per lot over all holds
	order []string              // lots in the order first taken
	lots  map[string]*lockedLot // by id, as read
	ms    []*Movement
}

// planHolds reads the sellable lots of skuIDs (locked with lock) and
// allocates holds over them first in, first out; OutOfStock when a line
// cannot be met.
func (s *Service) planHolds(ctx context.Context, tx bun.IDB, holds []Hold, keys [][]holdKey, wants []map[holdKey]int,
	skuIDs []string, commit, lock bool, today Date, now time.Time) (*holdPlan, error) {
	lots, err := s.readLots(ctx, tx, skuIDs, keys, today, lock)
	if err != nil {
		return nil, err
	}
	p := &holdPlan{take: map[string]int{}, lots: map[string]*lockedLot{}}
	for _, l := range lots {
		p.lots[l.ID] = l
	}
	for i, h := range holds {
		r := &Reservation{TenantID: db.TenantID(ctx), ID: h.ID, Owner: strings.TrimSpace(h.Owner), Status: ReservationActive,
			ExpiresAt: now.Add(h.TTL), CreatedAt: now, Allocations: []*Allocation{}}
		if commit {
			r.Status, r.ResolvedAt = ReservationCommitted, &now
		}
		held := map[string]*Allocation{}
		for _, k := range keys[i] {
			need := wants[i][k]
			for _, l := range lots {
				if need == 0 {
					break
				}
				if l.SKUID != k.sku || (k.region != "" && !l.serves[k.region]) {
					continue
				}
				n := min(need, l.OnHand-l.Reserved)
				if n <= 0 {
					continue
				}
				l.Reserved += n
				need -= n
				if _, ok := p.take[l.ID]; !ok {
					p.order = append(p.order, l.ID)
				}
				p.take[l.ID] += n
				a := held[l.ID]
				if a == nil {
					a = &Allocation{TenantID: r.TenantID, ReservationID: r.ID, LotID: l.ID, SKUID: k.sku}
					held[l.ID] = a
					r.Allocations = append(r.Allocations, a)
				}
				a.Qty += n
			}
			if need > 0 {
				return nil, errOutOfStock(k.sku)
			}
		}
		ref := reference(r)
		for _, a := range r.Allocations {
			l := p.lots[a.LotID]
			p.ms = append(p.ms, newMovement(ctx, &l.Lot, MoveReserve, 0, a.Qty, "", "", ref, nil, now))
			if commit {
				p.ms = append(p.ms, newMovement(ctx, &l.Lot, MoveCommit, -a.Qty, -a.Qty, "", "", ref, nil, now))
			}
		}
		p.out = append(p.out, r)
	}
	slices.Sort(p.order) // lots are taken in id order
	return p, nil
}

// write records the reservations, allocations and movements of p.
func (p *holdPlan) write(ctx context.Context, tx bun.IDB) error {
	if _, err := tx.NewInsert().Model(&p.out).Exec(ctx); err != nil {
		return fmt.Errorf("create reservations: %w", err)
	}
	var allocs []*Allocation
	for _, r := range p.out {
		allocs = append(allocs, r.Allocations...)
	}
	if _, err := tx.NewInsert().Model(&allocs).Exec(ctx); err != nil {
		return fmt.Errorf("record allocations: %w", err)
	}
	return insertMovements(ctx, tx, p.ms)
}

// unwrite removes what write recorded.
func (p *holdPlan) unwrite(ctx context.Context, tx bun.IDB) error {
	ids := make([]string, len(p.out))
	refs := make([]string, len(p.out))
	for i, r := range p.out {
		ids[i], refs[i] = r.ID, reference(r)
	}
	if _, err := db.Delete(ctx, tx, (*Movement)(nil)).Where("reference IN (?)", bun.List(refs)).Exec(ctx); err != nil {
		return fmt.Errorf("remove movements: %w", err)
	}
	if _, err := db.Delete(ctx, tx, (*Allocation)(nil)).Where("reservation_id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("remove allocations: %w", err)
	}
	if _, err := db.Delete(ctx, tx, (*Reservation)(nil)).Where("id IN (?)", bun.List(ids)).Exec(ctx); err != nil {
		return fmt.Errorf("remove reservations: %w", err)
	}
	return nil
}

// stillThere locks the lots p takes, in id order, and reports whether
// each still has the units p takes of it (and has not expired).
func (p *holdPlan) stillThere(ctx context.Context, tx bun.IDB, today Date) (bool, error) {
	if len(p.order) == 0 || tx.Dialect().Name() != dialect.PG {
		return true, nil // SQLite: the transaction is the only writer, the read is current
	}
	var now []*Lot
	err := db.Select(ctx, tx, &now).Column("l.id", "l.on_hand", "l.reserved", "l.best_before").
		Where("l.id IN (?)", bun.List(p.order)).Order("l.id").For("UPDATE").Scan(ctx)
	if err != nil {
		return false, fmt.Errorf("lock lots: %w", err)
	}
	if len(now) != len(p.order) {
		return false, nil
	}
	for _, l := range now {
		if l.OnHand-l.Reserved < p.take[l.ID] || l.BestBefore < today {
			return false, nil
		}
	}
	return true, nil
}

// reference is what movements of r name: its id and owner.
func reference(r *Reservation) string { return "reservation:" + r.ID + " " + r.Owner }

// lockedLot is a lot as a reservation sees it: its stock and which of the
// asked regions its warehouse serves.
type lockedLot struct {
	Lot
	serves map[string]bool
}

// readLots reads the sellable lots of skuIDs with stock left — with lock,
// locked (FOR UPDATE on PostgreSQL, taken in id order; SQLite has one
// writer) — in FIFO order, with the regions of keys each one's warehouse
// serves.
func (s *Service) readLots(ctx context.Context, tx bun.IDB, skuIDs []string, keys [][]holdKey, today Date, lock bool) ([]*lockedLot, error) {
	// The warehouses serving each region asked for (a region and its city).
	var regions []string
	anywhere := false
	for _, ks := range keys {
		for _, k := range ks {
			if k.region == "" {
				anywhere = true
			} else if !slices.Contains(regions, k.region) {
				regions = append(regions, k.region)
			}
		}
	}
	serving := map[string]map[string]bool{} // warehouse → regions asked for that it serves
	var whs []string
	for _, id := range regions {
		rs, err := servingRegions(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		var ws []string
		if err := db.Select(ctx, tx, (*warehouseRegion)(nil)).Column("wr.warehouse_id").
			Where("wr.region_id IN (?)", bun.List(rs)).Scan(ctx, &ws); err != nil {
			return nil, fmt.Errorf("warehouses serving region %s: %w", id, err)
		}
		for _, w := range ws {
			if serving[w] == nil {
				serving[w] = map[string]bool{}
				whs = append(whs, w)
			}
			serving[w][id] = true
		}
	}
	if !anywhere && len(whs) == 0 {
		return nil, nil // no warehouse serves the regions: nothing to sell
	}
	var lots []*Lot
	q := db.Select(ctx, tx, &lots).Column("l.id", "l.sku_id", "l.warehouse_id", "l.on_hand", "l.reserved",
		"l.received_on", "l.best_before", "l.created_at").
		Where("l.sku_id IN (?)", bun.List(skuIDs)).Where("l.on_hand > l.reserved").Where("l.best_before >= ?", today)
	if !anywhere {
		q = q.Where("l.warehouse_id IN (?)", bun.List(whs))
	}
	if lock && tx.Dialect().Name() == dialect.PG {
		q = q.Order("l.id").For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("lock lots: %w", err)
	}
	slices.SortFunc(lots, func(a, b *Lot) int {
		if c := strings.Compare(string(a.ReceivedOn), string(b.ReceivedOn)); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.BestBefore), string(b.BestBefore)); c != 0 {
			return c
		}
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	out := make([]*lockedLot, len(lots))
	for i, l := range lots {
		out[i] = &lockedLot{Lot: *l, serves: serving[l.WarehouseID]}
	}
	return out, nil
}

// takeLots takes take[lot] units of each lot (ids in id order) in one
// UPDATE: reserved rises, or with commit on_hand drops. It answers the
// lots left without a unit to sell. The condition (enough left, not
// expired) holds for locked lots and stays as a guard: when a lot fails
// it, nothing is taken and the answer is an error.
func (s *Service) takeLots(ctx context.Context, tx bun.IDB, take map[string]int, ids []string, commit bool, today Date, now time.Time) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var cases strings.Builder
	args := make([]any, 0, 2*len(ids))
	cases.WriteString("CASE l.id")
	for _, id := range ids {
		cases.WriteString(" WHEN ? THEN ?")
		args = append(args, id, take[id])
	}
	cases.WriteString(" END")
	n := bun.SafeQuery(cases.String(), args...)
	u := db.Update(ctx, tx, (*Lot)(nil)).Set("updated_at = ?", now).
		Where("l.id IN (?)", bun.List(ids)).Where("l.on_hand - l.reserved >= ?", n).Where("l.best_before >= ?", today)
	if commit {
		u = u.Set("on_hand = on_hand - ?", n)
	} else {
		u = u.Set("reserved = reserved + ?", n)
	}
	var rows []struct {
		ID   string `bun:"id"`
		Left int    `bun:"left_units"`
	}
	if err := u.Returning("id, on_hand - reserved AS left_units").Scan(ctx, &rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("take lots: %w", err)
	}
	if len(rows) != len(ids) {
		return nil, fmt.Errorf("take lots: %d of %d lots had the units they were read with", len(rows), len(ids))
	}
	var emptied []string
	for _, r := range rows {
		if r.Left == 0 {
			emptied = append(emptied, r.ID)
		}
	}
	return emptied, nil
}

// loadReservation reads reservation id with its allocations.
func loadReservation(ctx context.Context, tx bun.IDB, id string) (*Reservation, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	r := new(Reservation)
	if err := db.Select(ctx, tx, r).Where("r.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	r.Allocations = []*Allocation{}
	if err := db.Select(ctx, tx, &r.Allocations).Where("sa.reservation_id = ?", r.ID).Order("sa.lot_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read allocations of reservation %s: %w", r.ID, err)
	}
	return r, nil
}

// Reservation returns reservation id with its allocations. NotFound for
// ids that are not the tenant's.
func (s *Service) Reservation(ctx context.Context, id string) (*Reservation, error) {
	var r *Reservation
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		r, err = loadReservation(ctx, tx, id)
		return err
	})
	return r, err
}

// ReservationIn is Reservation read in idb, the caller's transaction.
func (s *Service) ReservationIn(ctx context.Context, idb bun.IDB, id string) (*Reservation, error) {
	return loadReservation(ctx, idb, id)
}

// Commit turns reservation id into a sale, in tx (the caller's
// transaction, bound to the tenant): its units leave stock (on_hand and
// reserved both drop). A reservation past its expiry that the sweep has
// not released yet still commits: its units are still held. Committing a
// committed reservation again is a no-op.
//
// Returns NotFound for ids that are not the tenant's; Conflict
// inventory.error.reservation_state when it was released or expired.
func (s *Service) Commit(ctx context.Context, tx bun.IDB, id string) (*Reservation, error) {
	r, _, err := s.resolve(ctx, tx, id, ReservationCommitted, time.Time{})
	return r, err
}

// Release gives the units of reservation id back (reserved drops), in tx.
// Releasing a released or expired reservation again is a no-op. Returns
// NotFound for ids that are not the tenant's; Conflict
// inventory.error.reservation_state when it was committed.
func (s *Service) Release(ctx context.Context, tx bun.IDB, id string) (*Reservation, error) {
	r, _, err := s.resolve(ctx, tx, id, ReservationReleased, time.Time{})
	return r, err
}

// resolve moves reservation id from active to status with a conditional
// UPDATE (… WHERE status = 'active'), so it happens once whoever else
// tries, and then moves the units of its allocations. With a non-zero
// dueBefore only a reservation expiring before it is resolved. changed
// says whether this call resolved it.
func (s *Service) resolve(ctx context.Context, tx bun.IDB, id, status string, dueBefore time.Time) (r *Reservation, changed bool, err error) {
	if !validID(id) {
		return nil, false, errNotFound
	}
	now := s.now().UTC()
	q := db.Update(ctx, tx, (*Reservation)(nil)).Set("status = ?", status).Set("resolved_at = ?", now).
		Where("r.id = ?", id).Where("r.status = ?", ReservationActive)
	if !dueBefore.IsZero() {
		q = q.Where("r.expires_at < ?", dueBefore)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("resolve reservation %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	if r, err = loadReservation(ctx, tx, id); err != nil {
		return nil, false, err
	}
	if n != 1 {
		released := func(st string) bool { return st == ReservationReleased || st == ReservationExpired }
		if r.Status == status || (released(r.Status) && released(status)) || (!dueBefore.IsZero() && r.Status != ReservationActive) {
			return r, false, nil // done before: replays are no-ops
		}
		return nil, false, core.Errorf(core.Conflict, "inventory.error.reservation_state")
	}
	var watch *stockWatch
	if status != ReservationCommitted { // a commit leaves on_hand - reserved as it was
		if watch, err = s.watchStock(ctx, tx, skuIDsOf(r.Allocations), true); err != nil {
			return nil, false, err
		}
	}
	ref := reference(r)
	var ms []*Movement
	for _, a := range r.Allocations {
		u := db.Update(ctx, tx, (*Lot)(nil)).Set("reserved = reserved - ?", a.Qty).Set("updated_at = ?", now).
			Where("l.id = ?", a.LotID).Where("l.reserved >= ?", a.Qty)
		kind, onHand, reason := MoveRelease, 0, status
		if status == ReservationCommitted {
			u = u.Set("on_hand = on_hand - ?", a.Qty)
			kind, onHand, reason = MoveCommit, -a.Qty, ""
		}
		var warehouse string
		if err := u.Returning("warehouse_id").Scan(ctx, &warehouse); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil, false, fmt.Errorf("%s reservation %s: lot %s holds fewer than %d reserved units", kind, r.ID, a.LotID, a.Qty)
			}
			return nil, false, fmt.Errorf("%s allocation of lot %s: %w", kind, a.LotID, err)
		}
		l := &Lot{ID: a.LotID, SKUID: a.SKUID, WarehouseID: warehouse}
		ms = append(ms, newMovement(ctx, l, kind, onHand, -a.Qty, reason, "", ref, nil, now))
	}
	if err := insertMovements(ctx, tx, ms); err != nil {
		return nil, false, err
	}
	if err := s.report(ctx, tx, watch); err != nil {
		return nil, false, err
	}
	return r, true, nil
}

// sweepBatch is how many expired reservations a sweep reads at a time.
const sweepBatch = 200

// ReleaseExpired releases every active reservation whose expiry is before
// now — of the tenant in ctx, or of every tenant when ctx carries none —
// and returns how many it released. Each reservation is released in a
// transaction of its own with a conditional UPDATE, so several server
// instances may sweep at once: each reservation is released exactly once,
// and one committed meanwhile is left alone.
func (s *Service) ReleaseExpired(ctx context.Context, now time.Time) (int, error) {
	var ts []*tenants.Tenant
	if t, ok := tenants.FromContext(ctx); ok {
		ts = []*tenants.Tenant{t}
	} else {
		var err error
		if ts, err = tenants.List(ctx, s.DB.DB); err != nil {
			return 0, err
		}
	}
	now = now.UTC()
	total := 0
	for _, t := range ts {
		tctx := tenants.WithTenant(ctx, t)
		after := ""
		for {
			var ids []string
			err := s.DB.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
				q := db.Select(ctx, tx, (*Reservation)(nil)).Column("r.id").
					Where("r.status = ?", ReservationActive).Where("r.expires_at < ?", now).
					Order("r.id").Limit(sweepBatch)
				if after != "" {
					q = q.Where("r.id > ?", after)
				}
				return q.Scan(ctx, &ids)
			})
			if err != nil {
				return total, fmt.Errorf("find expired reservations of %s: %w", t.Slug, err)
			}
			for _, id := range ids {
				var changed bool
				err := s.DB.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) (err error) {
					_, changed, err = s.resolve(ctx, tx, id, ReservationExpired, now)
					return err
				})
				if err != nil {
					return total, err
				}
				if changed {
					total++
				}
			}
			if len(ids) < sweepBatch {
				break
			}
			after = ids[len(ids)-1]
		}
	}
	return total, nil
}

// AvailableIn is AvailableMany in idb, the caller's transaction: a
// checkout reads what it may reserve without taking a second connection.
func (s *Service) AvailableIn(ctx context.Context, tx bun.IDB, skuIDs []string, regionID ...string) (map[string]int, error) {
	out := make(map[string]int, len(skuIDs))
	for _, id := range skuIDs {
		if !validID(id) {
			return nil, errNotFound
		}
		out[id] = 0
	}
	if len(out) == 0 {
		return out, nil
	}
	today := s.today(ctx)
	n, err := db.Select(ctx, tx, (*sku)(nil)).Where("k.id IN (?)", bun.List(skuIDs)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up skus: %w", err)
	}
	if int(n) != len(out) {
		return nil, errNotFound
	}
	var regions []string
	if len(regionID) > 0 && regionID[0] != "" {
		if regions, err = servingRegions(ctx, tx, regionID[0]); err != nil {
			return nil, err
		}
	}
	var rows []struct {
		SKUID string `bun:"sku_id"`
		N     int    `bun:"n"`
	}
	q := db.Select(ctx, tx, (*Lot)(nil)).Column("l.sku_id").ColumnExpr("SUM(l.on_hand - l.reserved) AS n").
		Where("l.sku_id IN (?)", bun.List(skuIDs)).Group("l.sku_id")
	if err := sellable(ctx, tx, q, regions, today).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("sum available stock: %w", err)
	}
	for _, r := range rows {
		out[r.SKUID] = r.N
	}
	return out, nil
}
