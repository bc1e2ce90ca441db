-- Orders (core/order): checkout groups (one payment over many shops),
-- shop orders (one per shop of a group) with their lines and the stored
-- discount allocation of every line, the history of every transition,
-- named holds, and refunds line by line.
--
-- Money is bigint fen. A line's refunded_qty and refunded_fen only grow,
-- with conditional UPDATEs (… WHERE refunded_qty = the value read), and
-- never pass the line's qty and total: the CHECKs below hold that too.

-- A checkout: one payment over one order per shop. The idempotency key,
-- the hash of the request and the stored response let a replay of the
-- same request answer the first answer.
CREATE TABLE checkout_groups (
  tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    uuid NOT NULL,
  number                text NOT NULL,           -- human-readable, unique per tenant
  user_id               uuid NOT NULL,
  provider              text NOT NULL,           -- payment provider: offline, balance, stripe, …
  status                text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'cancelled')),
  subtotal_fen          bigint NOT NULL CHECK (subtotal_fen >= 0),
  discount_fen          bigint NOT NULL CHECK (discount_fen >= 0),
  shipping_fen          bigint NOT NULL CHECK (shipping_fen >= 0),
  shipping_discount_fen bigint NOT NULL CHECK (shipping_discount_fen >= 0),
  total_fen             bigint NOT NULL CHECK (total_fen >= 0),
  redemption_owner      text NOT NULL DEFAULT '', -- promo.Redeem's owner, for Unredeem
  idempotency_key       text NOT NULL,
  request_hash          text NOT NULL,
  response              text NOT NULL DEFAULT '', -- the first answer, replayed
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  UNIQUE (tenant_id, user_id, idempotency_key),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

-- One shop's part of a checkout.
CREATE TABLE orders (
  tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                    uuid NOT NULL,
  group_id              uuid NOT NULL,
  number                text NOT NULL,           -- yyMMdd + 6 random digits, unique per tenant
  shop_id               uuid NOT NULL,
  user_id               uuid NOT NULL,
  status                text NOT NULL CHECK (status IN ('pending_payment', 'paid', 'accepted', 'packed', 'shipped',
                          'ready_for_pickup', 'delivered', 'picked_up', 'completed', 'cancelled')),
  payment_status        text NOT NULL CHECK (payment_status IN ('unpaid', 'due', 'paid', 'partially_refunded', 'refunded', 'void')),
  subtotal_fen          bigint NOT NULL CHECK (subtotal_fen >= 0),
  discount_fen          bigint NOT NULL CHECK (discount_fen >= 0),
  shipping_fen          bigint NOT NULL CHECK (shipping_fen >= 0),
  shipping_discount_fen bigint NOT NULL CHECK (shipping_discount_fen >= 0 AND shipping_discount_fen <= shipping_fen),
  total_fen             bigint NOT NULL CHECK (total_fen >= 0),
  refunded_fen          bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= total_fen),
  shipping_refunded     boolean NOT NULL DEFAULT false,
  delivery_method       text NOT NULL,
  region_id             uuid,
  recipient             text NOT NULL,
  phone                 text NOT NULL,
  address               text NOT NULL DEFAULT '',
  slot_id               text NOT NULL DEFAULT '',
  booking_ref           text NOT NULL DEFAULT '', -- fulfil.Book's ref, for Unbook
  pickup_point_id       uuid,
  pickup_code           text NOT NULL DEFAULT '', -- 6 digits, for pickup orders
  promise_text          text NOT NULL DEFAULT '',
  promise_latest        timestamptz,
  reservation_id        uuid,                    -- the inventory reservation of this order alone
  placed_at             timestamptz NOT NULL,
  paid_at               timestamptz,
  accepted_at           timestamptz,
  packed_at             timestamptz,
  shipped_at            timestamptz,             -- or ready for pickup
  delivered_at          timestamptz,             -- or picked up
  completed_at          timestamptz,
  cancelled_at          timestamptz,
  courier               text NOT NULL DEFAULT '',
  tracking_no           text NOT NULL DEFAULT '',
  cancel_reason         text NOT NULL DEFAULT '',
  handed_over_by        uuid,
  updated_at            timestamptz NOT NULL,
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
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           uuid NOT NULL,
  order_id     uuid NOT NULL,
  position     integer NOT NULL,
  sku_id       uuid NOT NULL,
  product_id   uuid NOT NULL,
  shop_id      uuid NOT NULL,
  category_id  uuid,
  name         text NOT NULL,
  spec         text NOT NULL DEFAULT '',
  sku_code     text NOT NULL DEFAULT '',
  qty          integer NOT NULL CHECK (qty BETWEEN 1 AND 9999),
  unit_fen     bigint NOT NULL CHECK (unit_fen >= 0),
  list_fen     bigint NOT NULL CHECK (list_fen >= 0),
  price_label  text NOT NULL DEFAULT '',
  subtotal_fen bigint NOT NULL CHECK (subtotal_fen >= 0),
  discount_fen bigint NOT NULL CHECK (discount_fen >= 0),
  total_fen    bigint NOT NULL CHECK (total_fen >= 0),
  refunded_qty integer NOT NULL DEFAULT 0 CHECK (refunded_qty >= 0 AND refunded_qty <= qty),
  refunded_fen bigint NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= total_fen),
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
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           uuid NOT NULL,
  line_id      uuid NOT NULL,
  promotion_id text NOT NULL DEFAULT '',
  coupon_id    text NOT NULL DEFAULT '',
  kind         text NOT NULL,
  label        text NOT NULL DEFAULT '',
  amount_fen   bigint NOT NULL CHECK (amount_fen >= 0),
  funded_by    text NOT NULL CHECK (funded_by IN ('shop', 'platform')),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, line_id) REFERENCES order_lines (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX order_line_discounts_line ON order_line_discounts (tenant_id, line_id);

-- Every change of an order's status, and every hold and handover.
CREATE TABLE order_events (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  order_id    uuid NOT NULL,
  from_status text NOT NULL DEFAULT '',
  to_status   text NOT NULL,
  actor_id    uuid,                              -- NULL for the system (checkout, sweep)
  actor_role  text NOT NULL,                     -- shopper, shop, admin, pickup, system
  note        text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX order_events_order ON order_events (tenant_id, order_id, at);

-- Named holds (e.g. group_buy): while one stands (released_at IS NULL),
-- the order is not accepted, packed or shipped.
CREATE TABLE order_holds (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  order_id    uuid NOT NULL,
  name        text NOT NULL,
  reason      text NOT NULL DEFAULT '',
  placed_at   timestamptz NOT NULL,
  placed_by   text NOT NULL DEFAULT '',          -- who placed it: a plugin, a user id
  released_at timestamptz,
  released_by text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX order_holds_standing ON order_holds (tenant_id, order_id, name) WHERE released_at IS NULL;

-- A refund: money back to the tender (the group's provider), line by line.
CREATE TABLE refunds (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           uuid NOT NULL,
  order_id     uuid NOT NULL,
  amount_fen   bigint NOT NULL CHECK (amount_fen >= 0), -- lines plus shipping
  shipping_fen bigint NOT NULL DEFAULT 0 CHECK (shipping_fen >= 0),
  whole        boolean NOT NULL,
  restock      boolean NOT NULL,
  reason       text NOT NULL DEFAULT '',
  tender       text NOT NULL,
  actor_id     uuid,
  actor_role   text NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX refunds_order ON refunds (tenant_id, order_id, created_at);

CREATE TABLE refund_lines (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  refund_id  uuid NOT NULL,
  line_id    uuid NOT NULL,
  qty        integer NOT NULL CHECK (qty >= 1),
  amount_fen bigint NOT NULL CHECK (amount_fen >= 0),
  restock    boolean NOT NULL,
  PRIMARY KEY (tenant_id, refund_id, line_id),
  FOREIGN KEY (tenant_id, refund_id) REFERENCES refunds (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, line_id) REFERENCES order_lines (tenant_id, id)
);

SELECT jishi_apply_tenant_rls();
