-- Stripe (core/stripepay): a tenant's own Stripe keys and payment methods
-- (else the platform's from the environment); shops' Connect accounts;
-- PaymentIntents of checkouts and balance top-ups; transfers of shop
-- shares and their reversals; refunds; webhook events, each recorded in
-- the transaction that applies it.

CREATE TABLE stripe_settings (
  tenant_id       TEXT PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  secret_key      TEXT NOT NULL DEFAULT '',
  publishable_key TEXT NOT NULL DEFAULT '',
  webhook_secret  TEXT NOT NULL DEFAULT '',
  methods         TEXT NOT NULL DEFAULT 'card',  -- comma-separated: card, alipay, wechat_pay
  country         TEXT NOT NULL DEFAULT '',      -- of new Express accounts; '' lets Stripe choose
  updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE stripe_accounts (
  tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  shop_id           TEXT NOT NULL,
  account_id        TEXT NOT NULL,
  customer_id       TEXT NOT NULL DEFAULT '',   -- the shop as a customer of the platform (Stripe Billing)
  details_submitted BOOLEAN NOT NULL DEFAULT false,
  charges_enabled   BOOLEAN NOT NULL DEFAULT false,
  payouts_enabled   BOOLEAN NOT NULL DEFAULT false,
  transfers_active  BOOLEAN NOT NULL DEFAULT false,
  created_at        TIMESTAMP NOT NULL,
  updated_at        TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, shop_id),
  UNIQUE (tenant_id, account_id)
);

-- kind: checkout (payment_id set) or topup (user_id set).
CREATE TABLE stripe_intents (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('checkout', 'topup')),
  payment_id  TEXT,
  user_id     TEXT,
  amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
  currency    TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
  charge_id   TEXT NOT NULL DEFAULT '',
  last_error  TEXT NOT NULL DEFAULT '',
  created_at  TIMESTAMP NOT NULL,
  updated_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX stripe_intents_payment ON stripe_intents (tenant_id, payment_id);

CREATE TABLE stripe_transfers (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  order_id     TEXT NOT NULL,                  -- an order id, or 'accrued:{entry}' for a payout of accrued payables
  shop_id      TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  transfer_id  TEXT NOT NULL,
  group_ref    TEXT NOT NULL DEFAULT '',
  amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
  reversed_fen INTEGER NOT NULL DEFAULT 0,
  created_at   TIMESTAMP NOT NULL,
  updated_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, order_id),
  UNIQUE (tenant_id, transfer_id),
  CHECK (reversed_fen BETWEEN 0 AND amount_fen)
);

CREATE TABLE stripe_refunds (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  ref        TEXT NOT NULL,                    -- our refund reference
  intent_id  TEXT NOT NULL,
  order_id   TEXT NOT NULL,
  refund_id  TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
  status     TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, ref)
);
CREATE INDEX stripe_refunds_refund ON stripe_refunds (tenant_id, refund_id);

-- result: what processing did (applied, ignored: why).
CREATE TABLE stripe_events (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           TEXT NOT NULL,
  type         TEXT NOT NULL,
  account      TEXT NOT NULL DEFAULT '',
  created      TIMESTAMP NOT NULL,
  payload      TEXT NOT NULL,
  received_at  TIMESTAMP NOT NULL,
  processed_at TIMESTAMP,
  result       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX stripe_events_unprocessed ON stripe_events (tenant_id, received_at) WHERE processed_at IS NULL;

