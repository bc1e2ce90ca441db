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
  tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  shop_id            uuid NOT NULL,
  courier_enabled    boolean NOT NULL,
  courier_base_fen   bigint NOT NULL CHECK (courier_base_fen BETWEEN 0 AND 100000),   -- the first kg
  courier_per_kg_fen bigint NOT NULL CHECK (courier_per_kg_fen BETWEEN 0 AND 100000), -- each further kg begun
  express_enabled    boolean NOT NULL,
  express_fee_fen    bigint NOT NULL CHECK (express_fee_fen BETWEEN 0 AND 100000),
  scheduled_enabled  boolean NOT NULL,
  scheduled_fee_fen  bigint NOT NULL CHECK (scheduled_fee_fen BETWEEN 0 AND 100000),
  scheduled_days     integer NOT NULL CHECK (scheduled_days BETWEEN 1 AND 30),      -- slots offered this many days ahead
  pickup_enabled     boolean NOT NULL,
  updated_by         uuid,
  updated_at         timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, shop_id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

-- Courier fees of a shop for one region; a city's rule applies to its
-- districts unless a district has its own.
CREATE TABLE shop_courier_rules (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  shop_id    uuid NOT NULL,
  region_id  uuid NOT NULL,
  base_fen   bigint NOT NULL CHECK (base_fen BETWEEN 0 AND 100000),
  per_kg_fen bigint NOT NULL CHECK (per_kg_fen BETWEEN 0 AND 100000),
  PRIMARY KEY (tenant_id, shop_id, region_id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shop_delivery (tenant_id, shop_id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id)
);

-- A dated delivery window of a shop's scheduled delivery (定时送).
CREATE TABLE delivery_slots (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  shop_id    uuid NOT NULL,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  capacity   integer NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
  booked     integer NOT NULL DEFAULT 0 CHECK (booked >= 0),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shop_id, starts_at),
  CHECK (ends_at > starts_at),
  CHECK (booked <= capacity),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);

-- The tenant's pickup points (社区服务中心).
CREATE TABLE pickup_points (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  name       text NOT NULL,
  address    text NOT NULL,
  region_id  uuid NOT NULL,
  hours      text NOT NULL DEFAULT '', -- opening hours, as shown
  phone      text NOT NULL DEFAULT '',
  active     boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id)
);
CREATE INDEX pickup_points_region ON pickup_points (tenant_id, region_id);

-- The accounts operating a pickup point; each also holds pickup_operator
-- in the point's domain (role_assignments, "t/T/pp/P").
CREATE TABLE pickup_point_operators (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  point_id   uuid NOT NULL,
  user_id    uuid NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL,
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
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               uuid NOT NULL,
  ref              text NOT NULL,
  shop_id          uuid NOT NULL,
  method           text NOT NULL CHECK (method IN ('courier', 'express', 'scheduled', 'pickup')),
  region_id        uuid,
  slot_id          uuid,
  pickup_point_id  uuid,
  fee_fen          bigint NOT NULL CHECK (fee_fen >= 0),
  promise_earliest timestamptz NOT NULL,
  promise_latest   timestamptz NOT NULL,
  promise_text     text NOT NULL,
  recipient        text NOT NULL DEFAULT '',
  phone            text NOT NULL DEFAULT '',
  address          text NOT NULL DEFAULT '',
  status           text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
  created_at       timestamptz NOT NULL,
  cancelled_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id),
  FOREIGN KEY (tenant_id, slot_id) REFERENCES delivery_slots (tenant_id, id),
  FOREIGN KEY (tenant_id, pickup_point_id) REFERENCES pickup_points (tenant_id, id)
);
CREATE UNIQUE INDEX delivery_bookings_ref ON delivery_bookings (tenant_id, ref) WHERE status = 'booked';
CREATE INDEX delivery_bookings_slot ON delivery_bookings (tenant_id, slot_id);

SELECT jishi_apply_tenant_rls();
