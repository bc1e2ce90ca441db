-- Inventory (core/inventory): warehouses, the regions each serves, stock in
-- lots per SKU and warehouse with traceability, reservations and their
-- per-lot allocations, low-stock thresholds, and the movement history.
--
-- Stock never goes below zero: the CHECKs below hold on_hand >= 0,
-- reserved >= 0 and reserved <= on_hand, and the service changes the
-- figures only with conditional UPDATEs (… WHERE on_hand - reserved >= n).

-- The tenant's main cold warehouse (one at most), district sub-warehouses,
-- and shops' own warehouses.
CREATE TABLE warehouses (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('main', 'district', 'shop')),
  name       text NOT NULL,
  region_id  uuid NOT NULL,             -- where it stands
  shop_id    uuid,                      -- the owning shop, for kind shop only
  cold       boolean NOT NULL DEFAULT false, -- cold chain (冷库)
  address    text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name),
  CHECK ((kind = 'shop') = (shop_id IS NOT NULL)),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);
CREATE UNIQUE INDEX warehouses_one_main ON warehouses (tenant_id) WHERE kind = 'main';
CREATE INDEX warehouses_shop ON warehouses (tenant_id, shop_id);

-- The regions a warehouse delivers to; serving a city serves its districts.
CREATE TABLE warehouse_regions (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  warehouse_id uuid NOT NULL,
  region_id    uuid NOT NULL,
  PRIMARY KEY (tenant_id, warehouse_id, region_id),
  FOREIGN KEY (tenant_id, warehouse_id) REFERENCES warehouses (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id)
);
CREATE INDEX warehouse_regions_region ON warehouse_regions (tenant_id, region_id);

-- A lot: one receipt of a SKU into a warehouse, sold first in, first out
-- (先到先走: oldest received_on, then earliest best_before), with the
-- traceability facts printed on its labels (二维码追溯).
CREATE TABLE lots (
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id            uuid NOT NULL,
  sku_id        uuid NOT NULL,
  shop_id       uuid NOT NULL,           -- the SKU's shop
  warehouse_id  uuid NOT NULL,
  received_on   date NOT NULL,
  best_before   date NOT NULL CHECK (best_before > received_on),
  qty_received  integer NOT NULL CHECK (qty_received BETWEEN 1 AND 1000000),
  on_hand       integer NOT NULL CHECK (on_hand >= 0),
  reserved      integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  producer      text NOT NULL DEFAULT '', -- farmer, base operator or supplier
  base          text NOT NULL DEFAULT '', -- 基地
  sown_on       date,
  pesticide_on  date,
  fertilised_on date,
  harvested_on  date,
  residue_test  text NOT NULL DEFAULT '', -- 农残检测 result
  note          text NOT NULL DEFAULT '',
  created_by    uuid,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  CHECK (reserved <= on_hand),
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, warehouse_id) REFERENCES warehouses (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX lots_fifo ON lots (tenant_id, sku_id, received_on, best_before, created_at);
CREATE INDEX lots_shop ON lots (tenant_id, shop_id, best_before);
CREATE INDEX lots_warehouse ON lots (tenant_id, warehouse_id);

-- Units held for a checkout until it commits (they leave stock) or
-- releases (explicitly, or by the expiry sweep).
CREATE TABLE stock_reservations (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  owner       text NOT NULL,             -- e.g. the checkout id
  status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'committed', 'released', 'expired')),
  expires_at  timestamptz NOT NULL,
  resolved_at timestamptz,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX stock_reservations_due ON stock_reservations (tenant_id, status, expires_at);
CREATE INDEX stock_reservations_owner ON stock_reservations (tenant_id, owner);

-- How many units of which lot a reservation holds.
CREATE TABLE stock_allocations (
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  reservation_id uuid NOT NULL,
  lot_id         uuid NOT NULL,
  sku_id         uuid NOT NULL,
  qty            integer NOT NULL CHECK (qty > 0),
  PRIMARY KEY (tenant_id, reservation_id, lot_id),
  FOREIGN KEY (tenant_id, reservation_id) REFERENCES stock_reservations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id),
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id)
);
CREATE INDEX stock_allocations_lot ON stock_allocations (tenant_id, lot_id);

-- Low-stock threshold of a SKU; without a row the default (30, the seed's
-- "keep 30–50 units of main items on hand") applies.
CREATE TABLE stock_thresholds (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  sku_id     uuid NOT NULL,
  threshold  integer NOT NULL CHECK (threshold BETWEEN 0 AND 1000000),
  updated_by uuid,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, sku_id),
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id),
  FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

-- Every change to a lot's on_hand or reserved: the sum of a lot's
-- on_hand_delta is its on_hand, the sum of reserved_delta its reserved.
CREATE TABLE stock_movements (
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             uuid NOT NULL,
  lot_id         uuid NOT NULL,
  sku_id         uuid NOT NULL,
  warehouse_id   uuid NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('receive', 'reserve', 'commit', 'release', 'adjust')),
  on_hand_delta  integer NOT NULL,
  reserved_delta integer NOT NULL,
  reason         text NOT NULL DEFAULT '', -- adjust: count, damage, expired, other; release: released, expired
  note           text NOT NULL DEFAULT '',
  reference      text NOT NULL DEFAULT '', -- reservation id and owner, …
  actor_id       uuid,                     -- NULL for the system (checkout, sweep)
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id),
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id),
  FOREIGN KEY (tenant_id, warehouse_id) REFERENCES warehouses (tenant_id, id),
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX stock_movements_lot ON stock_movements (tenant_id, lot_id, created_at);

SELECT jishi_apply_tenant_rls();
