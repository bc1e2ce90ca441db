-- SQLite twin of pg/0012_orders.up.sql.
-- Orders (core/order): checkout groups (one payment over many shops),
-- shop orders (one per shop of a group) with their lines and the stored
-- discount allocation of every line, the history of every transition,
-- named holds, and refunds line by line.
--
-- Money is INTEGER fen. A line's refunded_qty and refunded_fen only grow,
-- with conditional UPDATEs (… WHERE refunded_qty = the value read), and
-- never pass the line's qty and total: the CHECKs below hold that too.

-- A checkout: one payment over one order per shop. The idempotency key,
-- the hash of the request and the stored response let a replay of the
-- same request answer the first answer.
CREATE TABLE checkout_groups (
  tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    TEXT NOT NULL,
  number                TEXT NOT NULL,           -- human-readable, unique per tenant
  user_id               TEXT NOT NULL,
  provider              TEXT NOT NULL,           -- payment provider: offline, balance, stripe, …
  status                TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'cancelled')),
  subtotal_fen          INTEGER NOT NULL CHECK (subtotal_fen >= 0),
  discount_fen          INTEGER NOT NULL CHECK (discount_fen >= 0),
  shipping_fen          INTEGER NOT NULL CHECK (shipping_fen >= 0),
  shipping_discount_fen INTEGER NOT NULL CHECK (shipping_discount_fen >= 0),
  total_fen             INTEGER NOT NULL CHECK (total_fen >= 0),
  redemption_owner      TEXT NOT NULL DEFAULT '', -- promo.Redeem's owner, for Unredeem
  idempotency_key       TEXT NOT NULL,
  request_hash          TEXT NOT NULL,
  response              TEXT NOT NULL DEFAULT '', -- the first answer, replayed
  created_at            TIMESTAMP NOT NULL,
  updated_at            TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  UNIQUE (tenant_id, user_id, idempotency_key),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

-- One shop's part of a checkout.
CREATE TABLE orders (
  tenant_id             TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    TEXT NOT NULL,
  group_id              TEXT NOT NULL,
  number                TEXT NOT NULL,           -- yyMMdd + 6 random digits, unique per tenant
  shop_id               TEXT NOT NULL,
  user_id               TEXT NOT NULL,
  status                TEXT NOT NULL CHECK (status IN ('pending_payment', 'paid', 'accepted', 'packed', 'shipped',
                          'ready_for_pickup', 'delivered', 'picked_up', 'completed', 'cancelled')),
  payment_status        TEXT NOT NULL CHECK (payment_status IN ('unpaid', 'due', 'paid', 'partially_refunded', 'refunded', 'void')),
  subtotal_fen          INTEGER NOT NULL CHECK (subtotal_fen >= 0),
  discount_fen          INTEGER NOT NULL CHECK (discount_fen >= 0),
  shipping_fen          INTEGER NOT NULL CHECK (shipping_fen >= 0),
  shipping_discount_fen INTEGER NOT NULL CHECK (shipping_discount_fen >= 0 AND shipping_discount_fen <= shipping_fen),
  total_fen             INTEGER NOT NULL CHECK (total_fen >= 0),
  refunded_fen          INTEGER NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= total_fen),
  shipping_refunded     INTEGER NOT NULL DEFAULT 0,
  delivery_method       TEXT NOT NULL,
  region_id             TEXT,
  recipient             TEXT NOT NULL,
  phone                 TEXT NOT NULL,
  address               TEXT NOT NULL DEFAULT '',
  slot_id               TEXT NOT NULL DEFAULT '',
  booking_ref           TEXT NOT NULL DEFAULT '', -- fulfil.Book's ref, for Unbook
  pickup_point_id       TEXT,
  pickup_code           TEXT NOT NULL DEFAULT '', -- 6 digits, for pickup orders
  promise_text          TEXT NOT NULL DEFAULT '',
  promise_latest        TIMESTAMP,
  reservation_id        TEXT,                    -- the inventory reservation of this order alone
  placed_at             TIMESTAMP NOT NULL,
  paid_at               TIMESTAMP,
  accepted_at           TIMESTAMP,
  packed_at             TIMESTAMP,
  shipped_at            TIMESTAMP,             -- or ready for pickup
  delivered_at          TIMESTAMP,             -- or picked up
  completed_at          TIMESTAMP,
  cancelled_at          TIMESTAMP,
  courier               TEXT NOT NULL DEFAULT '',
  tracking_no           TEXT NOT NULL DEFAULT '',
  cancel_reason         TEXT NOT NULL DEFAULT '',
  handed_over_by        TEXT,
  updated_at            TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, group_id) REFERENCES checkout_groups (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id),
  FOREIGN KEY (tenant_id, handed_over_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX orders_group ON orders (tenant_id, group_id);
CREATE INDEX orders_user ON orders (tenant_id, user_id, placed_at);
CREATE INDEX orders_shop ON orders (tenant_id, shop_id, placed_at);
CREATE INDEX orders_status ON orders (tenant_id, status, placed_at);
CREATE INDEX orders_pickup ON orders (tenant_id, pickup_point_id, status);

-- A line: what was bought, as it was when bought, and what it cost after
-- its discounts (total_fen = subtotal_fen - discount_fen).
CREATE TABLE order_lines (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  order_id     TEXT NOT NULL,
  position     INTEGER NOT NULL,
  sku_id       TEXT NOT NULL,
  product_id   TEXT NOT NULL,
  shop_id      TEXT NOT NULL,
  category_id  TEXT,
  name         TEXT NOT NULL,
  spec         TEXT NOT NULL DEFAULT '',
  sku_code     TEXT NOT NULL DEFAULT '',
  qty          INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 9999),
  unit_fen     INTEGER NOT NULL CHECK (unit_fen >= 0),
  list_fen     INTEGER NOT NULL CHECK (list_fen >= 0),
  price_label  TEXT NOT NULL DEFAULT '',
  subtotal_fen INTEGER NOT NULL CHECK (subtotal_fen >= 0),
  discount_fen INTEGER NOT NULL CHECK (discount_fen >= 0),
  total_fen    INTEGER NOT NULL CHECK (total_fen >= 0),
  refunded_qty INTEGER NOT NULL DEFAULT 0 CHECK (refunded_qty >= 0 AND refunded_qty <= qty),
  refunded_fen INTEGER NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= total_fen),
  PRIMARY KEY (tenant_id, id),
  CHECK (total_fen = subtotal_fen - discount_fen),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX order_lines_order ON order_lines (tenant_id, order_id, position);

-- The stored allocation of a line's discounts (from core/promo), so that
-- a refund knows exactly what was given and who funded it.
CREATE TABLE order_line_discounts (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  line_id      TEXT NOT NULL,
  promotion_id TEXT NOT NULL DEFAULT '',
  coupon_id    TEXT NOT NULL DEFAULT '',
  kind         TEXT NOT NULL,
  label        TEXT NOT NULL DEFAULT '',
  amount_fen   INTEGER NOT NULL CHECK (amount_fen >= 0),
  funded_by    TEXT NOT NULL CHECK (funded_by IN ('shop', 'platform')),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, line_id) REFERENCES order_lines (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX order_line_discounts_line ON order_line_discounts (tenant_id, line_id);

-- Every change of an order's status, and every hold and handover.
CREATE TABLE order_events (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  order_id    TEXT NOT NULL,
  from_status TEXT NOT NULL DEFAULT '',
  to_status   TEXT NOT NULL,
  actor_id    TEXT,                              -- NULL for the system (checkout, sweep)
  actor_role  TEXT NOT NULL,                     -- shopper, shop, admin, pickup, system
  note        TEXT NOT NULL DEFAULT '',
  at          TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX order_events_order ON order_events (tenant_id, order_id, at);

-- Named holds (e.g. group_buy): while one stands (released_at IS NULL),
-- the order is not accepted, packed or shipped.
CREATE TABLE order_holds (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  order_id    TEXT NOT NULL,
  name        TEXT NOT NULL,
  reason      TEXT NOT NULL DEFAULT '',
  placed_at   TIMESTAMP NOT NULL,
  placed_by   TEXT NOT NULL DEFAULT '',          -- who placed it: a plugin, a user id
  released_at TIMESTAMP,
  released_by TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX order_holds_standing ON order_holds (tenant_id, order_id, name) WHERE released_at IS NULL;

-- A refund: money back to the tender (the group's provider), line by line.
CREATE TABLE refunds (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  order_id     TEXT NOT NULL,
  amount_fen   INTEGER NOT NULL CHECK (amount_fen >= 0), -- lines plus shipping
  shipping_fen INTEGER NOT NULL DEFAULT 0 CHECK (shipping_fen >= 0),
  whole        INTEGER NOT NULL,
  restock      INTEGER NOT NULL,
  reason       TEXT NOT NULL DEFAULT '',
  tender       TEXT NOT NULL,
  actor_id     TEXT,
  actor_role   TEXT NOT NULL,
  created_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX refunds_order ON refunds (tenant_id, order_id, created_at);

CREATE TABLE refund_lines (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  refund_id  TEXT NOT NULL,
  line_id    TEXT NOT NULL,
  qty        INTEGER NOT NULL CHECK (qty >= 1),
  amount_fen INTEGER NOT NULL CHECK (amount_fen >= 0),
  restock    INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, refund_id, line_id),
  FOREIGN KEY (tenant_id, refund_id) REFERENCES refunds (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, line_id) REFERENCES order_lines (tenant_id, id)
);

