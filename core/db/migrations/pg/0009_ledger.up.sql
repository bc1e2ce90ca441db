-- The ledger (core/billing) and payments (core/payment).
--
-- Every money movement is one journal entry with two or more postings
-- that sum to zero (debits positive, credits negative, in fen). An account
-- is a kind plus an owner (a shop id, a user id, a provider name, or ''
-- for the platform's own accounts); the chart of accounts is documented in
-- core/billing. Postings are never updated or deleted.

CREATE TABLE journal_entries (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  kind       text NOT NULL,              -- order_paid, order_refunded, offline_collected, …
  reference  text NOT NULL DEFAULT '',   -- order number, refund reference, top-up reference
  order_ref  text NOT NULL DEFAULT '',   -- the order id when the entry is about one order
  memo       text NOT NULL DEFAULT '',
  actor_id   uuid,                       -- NULL for the system (checkout, sweeps)
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX journal_entries_order ON journal_entries (tenant_id, order_ref) WHERE order_ref <> '';

CREATE TABLE postings (
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  entry_id      uuid NOT NULL,
  line_no       integer NOT NULL CHECK (line_no >= 0),
  account_kind  text NOT NULL,
  account_owner text NOT NULL DEFAULT '',
  amount_fen    bigint NOT NULL CHECK (amount_fen <> 0), -- debit > 0, credit < 0
  PRIMARY KEY (tenant_id, entry_id, line_no),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES journal_entries (tenant_id, id)
);
CREATE INDEX postings_account ON postings (tenant_id, account_kind, account_owner, entry_id);

-- Commission overrides: a rate for a category (and its subtree) or for a
-- shop; the shop's rate wins over a category's, a category's over the
-- tenant's default (tenants.settings commission_bp).
CREATE TABLE commission_rates (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  scope      text NOT NULL CHECK (scope IN ('category', 'shop')),
  target_id  uuid NOT NULL,
  rate_bp    integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
  updated_by uuid,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, scope, target_id),
  FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

-- What the ledger charged an order when it was paid, so that refunds
-- reverse exactly: the order's tender account and shipping, and per line
-- the commission and platform-funded discount with what refunds have
-- reversed so far.
CREATE TABLE ledger_orders (
  tenant_id                      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  order_ref                      text NOT NULL,
  order_number                   text NOT NULL DEFAULT '',
  shop_id                        uuid NOT NULL,
  tender                         text NOT NULL,
  tender_kind                    text NOT NULL,
  tender_owner                   text NOT NULL,
  shipping_fen                   bigint NOT NULL CHECK (shipping_fen >= 0),
  shipping_promo_fen             bigint NOT NULL CHECK (shipping_promo_fen >= 0),
  shipping_refunded_fen          bigint NOT NULL DEFAULT 0,
  shipping_promo_reversed_fen    bigint NOT NULL DEFAULT 0,
  created_at                     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, order_ref),
  CHECK (shipping_refunded_fen BETWEEN 0 AND shipping_fen),
  CHECK (shipping_promo_reversed_fen BETWEEN 0 AND shipping_promo_fen),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);

CREATE TABLE ledger_order_lines (
  tenant_id               uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  order_ref               text NOT NULL,
  line_ref                text NOT NULL,
  category_id             uuid,
  rate_bp                 integer NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
  net_fen                 bigint NOT NULL CHECK (net_fen >= 0), -- goods after shop-funded discounts
  promo_fen               bigint NOT NULL CHECK (promo_fen >= 0), -- platform-funded discount
  paid_fen                bigint NOT NULL CHECK (paid_fen >= 0),  -- net_fen - promo_fen
  commission_fen          bigint NOT NULL CHECK (commission_fen >= 0),
  refunded_fen            bigint NOT NULL DEFAULT 0,
  commission_reversed_fen bigint NOT NULL DEFAULT 0,
  promo_reversed_fen      bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, order_ref, line_ref),
  CHECK (paid_fen = net_fen - promo_fen),
  CHECK (refunded_fen BETWEEN 0 AND paid_fen),
  CHECK (commission_reversed_fen BETWEEN 0 AND commission_fen),
  CHECK (promo_reversed_fen BETWEEN 0 AND promo_fen),
  FOREIGN KEY (tenant_id, order_ref) REFERENCES ledger_orders (tenant_id, order_ref)
);

-- One payment per checkout group, with one part per order (shop).
CREATE TABLE payments (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           uuid NOT NULL,
  group_ref    text NOT NULL,              -- the checkout group
  provider     text NOT NULL,
  user_id      uuid,                       -- the paying shopper
  amount_fen   bigint NOT NULL CHECK (amount_fen > 0),
  status       text NOT NULL CHECK (status IN ('pending', 'paid', 'due', 'failed', 'refunded', 'partially_refunded')),
  provider_ref text NOT NULL DEFAULT '',   -- e.g. a Stripe PaymentIntent id
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX payments_group ON payments (tenant_id, group_ref);
CREATE INDEX payments_provider_ref ON payments (tenant_id, provider, provider_ref) WHERE provider_ref <> '';

CREATE TABLE payment_parts (
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  payment_id    uuid NOT NULL,
  order_ref     text NOT NULL,
  shop_id       uuid NOT NULL,
  amount_fen    bigint NOT NULL CHECK (amount_fen >= 0),
  refunded_fen  bigint NOT NULL DEFAULT 0,
  collected_fen bigint NOT NULL DEFAULT 0, -- offline: cash the shop collected
  collected_at  timestamptz,
  PRIMARY KEY (tenant_id, payment_id, order_ref),
  CHECK (refunded_fen BETWEEN 0 AND amount_fen),
  CHECK (collected_fen BETWEEN 0 AND amount_fen),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);
CREATE INDEX payment_parts_order ON payment_parts (tenant_id, order_ref);

-- A shopper's stored balance (惠农通). It never goes negative: the CHECK,
-- and every debit is a conditional UPDATE (… WHERE balance_fen >= n).
CREATE TABLE customer_balances (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL,
  balance_fen bigint NOT NULL CHECK (balance_fen >= 0),
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

SELECT jishi_apply_tenant_rls();
