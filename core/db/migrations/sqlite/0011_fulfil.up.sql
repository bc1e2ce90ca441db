-- SQLite twin of pg/0011_fulfil.up.sql.
-- Delivery and pickup (core/fulfil): each shop's delivery methods and
-- fees (快递 courier with fees by weight and region, 限时送 express,
-- 定时送 scheduled slots, 到店自提 pickup), the dated slots of scheduled
-- delivery with their capacity, the tenant's pickup points (社区服务中心)
-- and their operators, and the delivery booked for each order.
--
-- A slot is never overbooked: the CHECK holds booked <= capacity and the
-- service takes a unit only with a conditional UPDATE (… WHERE booked <
-- capacity).

-- A shop's delivery settings; without a row the defaults apply (courier
-- and pickup enabled, with the default fees).
CREATE TABLE shop_delivery (
  tenant_id          TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  shop_id            TEXT NOT NULL,
  courier_enabled    INTEGER NOT NULL,
  courier_base_fen   INTEGER NOT NULL CHECK (courier_base_fen BETWEEN 0 AND 100000),   -- the first kg
  courier_per_kg_fen INTEGER NOT NULL CHECK (courier_per_kg_fen BETWEEN 0 AND 100000), -- each further kg begun
  express_enabled    INTEGER NOT NULL,
  express_fee_fen    INTEGER NOT NULL CHECK (express_fee_fen BETWEEN 0 AND 100000),
  scheduled_enabled  INTEGER NOT NULL,
  scheduled_fee_fen  INTEGER NOT NULL CHECK (scheduled_fee_fen BETWEEN 0 AND 100000),
  scheduled_days     INTEGER NOT NULL CHECK (scheduled_days BETWEEN 1 AND 30),      -- slots offered this many days ahead
  pickup_enabled     INTEGER NOT NULL,
  updated_by         TEXT,
  updated_at         TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, shop_id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

-- Courier fees of a shop for one region; a city's rule applies to its
-- districts unless a district has its own.
CREATE TABLE shop_courier_rules (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  shop_id    TEXT NOT NULL,
  region_id  TEXT NOT NULL,
  base_fen   INTEGER NOT NULL CHECK (base_fen BETWEEN 0 AND 100000),
  per_kg_fen INTEGER NOT NULL CHECK (per_kg_fen BETWEEN 0 AND 100000),
  PRIMARY KEY (tenant_id, shop_id, region_id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shop_delivery (tenant_id, shop_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id)
);

-- A dated delivery window of a shop's scheduled delivery (定时送).
CREATE TABLE delivery_slots (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  shop_id    TEXT NOT NULL,
  starts_at  TIMESTAMP NOT NULL,
  ends_at    TIMESTAMP NOT NULL,
  capacity   INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
  booked     INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shop_id, starts_at),
  CHECK (ends_at > starts_at),
  CHECK (booked <= capacity),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);

-- The tenant's pickup points (社区服务中心).
CREATE TABLE pickup_points (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  name       TEXT NOT NULL,
  address    TEXT NOT NULL,
  region_id  TEXT NOT NULL,
  hours      TEXT NOT NULL DEFAULT '', -- opening hours, as shown
  phone      TEXT NOT NULL DEFAULT '',
  active     INTEGER NOT NULL DEFAULT 1,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id)
);
CREATE INDEX pickup_points_region ON pickup_points (tenant_id, region_id);

-- The accounts operating a pickup point; each also holds pickup_operator
-- in the point's domain (role_assignments, "t/T/pp/P").
CREATE TABLE pickup_point_operators (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  point_id   TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  created_by TEXT,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, point_id, user_id),
  FOREIGN KEY (tenant_id, point_id) REFERENCES pickup_points (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX pickup_point_operators_user ON pickup_point_operators (tenant_id, user_id);

-- The delivery booked for an order (ref): method, fee, promise, and the
-- slot or pickup point it holds. One booked row per ref; Unbook cancels
-- it and gives the slot's unit back.
CREATE TABLE delivery_bookings (
  tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  ref              TEXT NOT NULL,
  shop_id          TEXT NOT NULL,
  method           TEXT NOT NULL CHECK (method IN ('courier', 'express', 'scheduled', 'pickup')),
  region_id        TEXT,
  slot_id          TEXT,
  pickup_point_id  TEXT,
  fee_fen          INTEGER NOT NULL CHECK (fee_fen >= 0),
  promise_earliest TIMESTAMP NOT NULL,
  promise_latest   TIMESTAMP NOT NULL,
  promise_text     TEXT NOT NULL,
  recipient        TEXT NOT NULL DEFAULT '',
  phone            TEXT NOT NULL DEFAULT '',
  address          TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
  created_at       TIMESTAMP NOT NULL,
  cancelled_at     TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id),
  FOREIGN KEY (tenant_id, slot_id) REFERENCES delivery_slots (tenant_id, id),
  FOREIGN KEY (tenant_id, pickup_point_id) REFERENCES pickup_points (tenant_id, id)
);
CREATE UNIQUE INDEX delivery_bookings_ref ON delivery_bookings (tenant_id, ref) WHERE status = 'booked';
CREATE INDEX delivery_bookings_slot ON delivery_bookings (tenant_id, slot_id);
