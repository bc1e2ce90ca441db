-- Stripe (core/stripepay): a tenant's own Stripe keys and payment methods
-- (else the platform's from the environment); shops' Connect accounts;
-- PaymentIntents of checkouts and balance top-ups; transfers of shop
-- shares and their reversals; refunds; webhook events, each recorded in
-- the transaction that applies it.

CREATE TABLE stripe_settings (
  tenant_id       uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  secret_key      text NOT NULL DEFAULT '',
  publishable_key text NOT NULL DEFAULT '',
  webhook_secret  text NOT NULL DEFAULT '',
  methods         text NOT NULL DEFAULT 'card',  -- comma-separated: card, alipay, wechat_pay
  country         text NOT NULL DEFAULT '',      -- of new Express accounts; '' lets Stripe choose
  updated_at      timestamptz NOT NULL
);

CREATE TABLE stripe_accounts (
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  shop_id           uuid NOT NULL,
  account_id        text NOT NULL,
  customer_id       text NOT NULL DEFAULT '',   -- the shop as a customer of the platform (Stripe Billing)
  details_submitted boolean NOT NULL DEFAULT false,
  charges_enabled   boolean NOT NULL DEFAULT false,
  payouts_enabled   boolean NOT NULL DEFAULT false,
  transfers_active  boolean NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, shop_id),
  UNIQUE (tenant_id, account_id)
);

-- kind: checkout (payment_id set) or topup (user_id set).
CREATE TABLE stripe_intents (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('checkout', 'topup')),
  payment_id  uuid,
  user_id     uuid,
  amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
  currency    text NOT NULL,
  status      text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
  charge_id   text NOT NULL DEFAULT '',
  last_error  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX stripe_intents_payment ON stripe_intents (tenant_id, payment_id);

CREATE TABLE stripe_transfers (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  order_id     text NOT NULL,                  -- an order id, or 'accrued:{entry}' for a payout of accrued payables
  shop_id      uuid NOT NULL,
  account_id   text NOT NULL,
  transfer_id  text NOT NULL,
  group_ref    text NOT NULL DEFAULT '',
  amount_fen   bigint NOT NULL CHECK (amount_fen > 0),
  reversed_fen bigint NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, order_id),
  UNIQUE (tenant_id, transfer_id),
  CHECK (reversed_fen BETWEEN 0 AND amount_fen)
);

CREATE TABLE stripe_refunds (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  ref        text NOT NULL,                    -- our refund reference
  intent_id  text NOT NULL,
  order_id   text NOT NULL,
  refund_id  text NOT NULL,
  amount_fen bigint NOT NULL CHECK (amount_fen > 0),
  status     text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, ref)
);
CREATE INDEX stripe_refunds_refund ON stripe_refunds (tenant_id, refund_id);

-- result: what processing did (applied, ignored: why).
CREATE TABLE stripe_events (
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id           text NOT NULL,
  type         text NOT NULL,
  account      text NOT NULL DEFAULT '',
  created      timestamptz NOT NULL,
  payload      text NOT NULL,
  received_at  timestamptz NOT NULL,
  processed_at timestamptz,
  result       text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX stripe_events_unprocessed ON stripe_events (tenant_id, received_at) WHERE processed_at IS NULL;

SELECT jishi_apply_tenant_rls();
