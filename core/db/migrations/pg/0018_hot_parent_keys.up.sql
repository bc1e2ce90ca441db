-- The tables a checkout writes (and the stock, ledger and order history
-- behind them) keep no foreign keys to the few rows every checkout of a
-- marketplace shares: the tenant, its shops, regions, pickup points,
-- warehouses, users, catalog rows, coupons, flash sales and lots. Each such key makes every inserting
-- transaction take a KEY SHARE lock on the same parent row, and
-- PostgreSQL records concurrent share locks of one row as MultiXacts:
-- under load the checkouts queued on LWLock:MultiXactMemberBuffer (see
-- docs/BENCHMARKS.md). The services check these ids in the same
-- transaction (every one is read, tenant-scoped, before it is written);
-- the keys between the rows of one checkout (order → group, line → order,
-- discount → line, event → order, part → payment, posting → entry,
-- allocation → reservation) stay, as do the keys of the catalog, merchant
-- and configuration tables. A checkout records its stock allocations
-- before it locks the lots (core/inventory ReserveAll), so those rows
-- must not lock the lots through a key either.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT c.conname, c.conrelid::regclass AS tbl
    FROM pg_constraint c
    JOIN pg_class t ON t.oid = c.conrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
    WHERE c.contype = 'f'
      AND t.relname IN ('checkout_groups', 'orders', 'order_lines', 'order_line_discounts', 'order_events',
                        'delivery_bookings', 'payments', 'payment_parts', 'ledger_orders', 'ledger_order_lines',
                        'journal_entries', 'postings', 'stock_reservations', 'stock_allocations', 'stock_movements',
                        'coupon_redemptions', 'flash_sale_units')
      AND c.confrelid::regclass::text IN ('tenants', 'shops', 'regions', 'pickup_points', 'warehouses', 'users',
                                          'skus', 'products', 'categories', 'delivery_slots', 'coupons', 'flash_sales', 'lots')
  LOOP
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.tbl, r.conname);
  END LOOP;
END $$;
