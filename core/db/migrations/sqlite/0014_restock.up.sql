-- Units of a committed reservation put back into the lot they came from
-- (an order cancelled after commit, or refunded with restock): never more
-- than the allocation took, whoever restocks concurrently.
ALTER TABLE stock_allocations ADD COLUMN restocked INTEGER NOT NULL DEFAULT 0
  CHECK (restocked >= 0 AND restocked <= qty);
