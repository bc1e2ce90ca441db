-- SQLite twin of pg/0009_ledger.up.sql.
-- The ledger (core/billing) and payments (core/payment).
--
-- Every money movement is one journal entry with two or more postings
-- that sum to zero (debits positive, credits negative, in fen). An account
-- is a kind plus an owner (a shop id, a user id, a provider name, or ''
-- for the platform's own accounts); the chart of accounts is documented in
-- core/billing. Postings are never updated or deleted.

CREATE TABLE journal_entries (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  kind       TEXT NOT NULL,              -- order_paid, order_refunded, offline_collected, …
  reference  TEXT NOT NULL DEFAULT '',   -- order number, refund reference, top-up reference
  order_ref  TEXT NOT NULL DEFAULT '',   -- the order id when the entry is about one order
  memo       TEXT NOT NULL DEFAULT '',
  actor_id   TEXT,                       -- NULL for the system (checkout, sweeps)
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, actor_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX journal_entries_order ON journal_entries (tenant_id, order_ref) WHERE order_ref <> '';

CREATE TABLE postings (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  entry_id      TEXT NOT NULL,
  line_no       INTEGER NOT NULL CHECK (line_no >= 0),
  account_kind  TEXT NOT NULL,
  account_owner TEXT NOT NULL DEFAULT '',
  amount_fen    INTEGER NOT NULL CHECK (amount_fen <> 0), -- debit > 0, credit < 0
  PRIMARY KEY (tenant_id, entry_id, line_no),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES journal_entries (tenant_id, id)
);
CREATE INDEX postings_account ON postings (tenant_id, account_kind, account_owner, entry_id);

-- Commission overrides: a rate for a category (and its subtree) or for a
-- shop; the shop's rate wins over a category's, a category's over the
-- tenant's default (tenants.settings commission_bp).
CREATE TABLE commission_rates (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  scope      TEXT NOT NULL CHECK (scope IN ('category', 'shop')),
  target_id  TEXT NOT NULL,
  rate_bp    INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
  updated_by TEXT,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, scope, target_id),
  FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

-- What the ledger charged an order when it was paid, so that refunds
-- reverse exactly: the order's tender account and shipping, and per line
-- the commission and platform-funded discount with what refunds have
-- reversed so far.
CREATE TABLE ledger_orders (
  tenant_id                      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  order_ref                      TEXT NOT NULL,
  order_number                   TEXT NOT NULL DEFAULT '',
  shop_id                        TEXT NOT NULL,
  tender                         TEXT NOT NULL,
  tender_kind                    TEXT NOT NULL,
  tender_owner                   TEXT NOT NULL,
  shipping_fen                   INTEGER NOT NULL CHECK (shipping_fen >= 0),
  shipping_promo_fen             INTEGER NOT NULL CHECK (shipping_promo_fen >= 0),
  shipping_refunded_fen          INTEGER NOT NULL DEFAULT 0,
  shipping_promo_reversed_fen    INTEGER NOT NULL DEFAULT 0,
  created_at                     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, order_ref),
  CHECK (shipping_refunded_fen BETWEEN 0 AND shipping_fen),
  CHECK (shipping_promo_reversed_fen BETWEEN 0 AND shipping_promo_fen),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);

CREATE TABLE ledger_order_lines (
  tenant_id               TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  order_ref               TEXT NOT NULL,
  line_ref                TEXT NOT NULL,
  category_id             TEXT,
  rate_bp                 INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
  net_fen                 INTEGER NOT NULL CHECK (net_fen >= 0), -- goods after shop-funded discounts
  promo_fen               INTEGER NOT NULL CHECK (promo_fen >= 0), -- platform-funded discount
  paid_fen                INTEGER NOT NULL CHECK (paid_fen >= 0),  -- net_fen - promo_fen
  commission_fen          INTEGER NOT NULL CHECK (commission_fen >= 0),
  refunded_fen            INTEGER NOT NULL DEFAULT 0,
  commission_reversed_fen INTEGER NOT NULL DEFAULT 0,
  promo_reversed_fen      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, order_ref, line_ref),
  CHECK (paid_fen = net_fen - promo_fen),
  CHECK (refunded_fen BETWEEN 0 AND paid_fen),
  CHECK (commission_reversed_fen BETWEEN 0 AND commission_fen),
  CHECK (promo_reversed_fen BETWEEN 0 AND promo_fen),
  FOREIGN KEY (tenant_id, order_ref) REFERENCES ledger_orders (tenant_id, order_ref)
);

-- One payment per checkout group, with one part per order (shop).
CREATE TABLE payments (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  group_ref    TEXT NOT NULL,              -- the checkout group
  provider     TEXT NOT NULL,
  user_id      TEXT,                       -- the paying shopper
  amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
  status       TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'due', 'failed', 'refunded', 'partially_refunded')),
  provider_ref TEXT NOT NULL DEFAULT '',   -- e.g. a Stripe PaymentIntent id
  created_at   TIMESTAMP NOT NULL,
  updated_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX payments_group ON payments (tenant_id, group_ref);
CREATE INDEX payments_provider_ref ON payments (tenant_id, provider, provider_ref) WHERE provider_ref <> '';

CREATE TABLE payment_parts (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  payment_id    TEXT NOT NULL,
  order_ref     TEXT NOT NULL,
  shop_id       TEXT NOT NULL,
  amount_fen    INTEGER NOT NULL CHECK (amount_fen >= 0),
  refunded_fen  INTEGER NOT NULL DEFAULT 0,
  collected_fen INTEGER NOT NULL DEFAULT 0, -- offline: cash the shop collected
  collected_at  TIMESTAMP,
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
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id     TEXT NOT NULL,
  balance_fen INTEGER NOT NULL CHECK (balance_fen >= 0),
  updated_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

