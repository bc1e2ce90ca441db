-- Platform billing (core/invoicing): the tenant's plan catalogue and which
-- plan each shop and pickup point is on; the usage price list; usage
-- records (each posted to the ledger as it happens); promotional credits;
-- monthly invoices with their lines and payments; and the month-end runs,
-- claimed once per tenant and period whatever the number of servers.
-- Periods are 'YYYY-MM' in the tenant's time zone; dates 'YYYY-MM-DD'.

-- owner_kind of the plan: who may be assigned it. billing_interval:
-- 'monthly' (invoiced every month) or 'annual' (invoiced in the month the
-- plan year starts and in each month it renews).
CREATE TABLE billing_plans (
  tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  code             TEXT NOT NULL,
  name             TEXT NOT NULL,
  owner_kind       TEXT NOT NULL CHECK (owner_kind IN ('shop', 'pickup_point')),
  billing_interval TEXT NOT NULL CHECK (billing_interval IN ('monthly', 'annual')),
  fee_fen          INTEGER NOT NULL CHECK (fee_fen >= 0),
  revenue_source   TEXT NOT NULL CHECK (revenue_source IN ('plan', 'franchise')),
  active           BOOLEAN NOT NULL DEFAULT 1,
  created_at       TIMESTAMP NOT NULL,
  updated_at       TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code)
);

-- The plan in force for an owner in a period is the one whose assignment
-- starts latest on or before the period's last day.
CREATE TABLE billing_plan_assignments (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  owner_kind  TEXT NOT NULL CHECK (owner_kind IN ('shop', 'pickup_point')),
  owner_id    TEXT NOT NULL,
  plan_id     TEXT NOT NULL,
  starts_on   TEXT NOT NULL CHECK (length(starts_on) = 10),
  assigned_by TEXT,
  created_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, owner_id, starts_on),
  FOREIGN KEY (tenant_id, plan_id) REFERENCES billing_plans (tenant_id, id)
);

-- The tenant's prices of usage metrics, over the defaults in code.
CREATE TABLE billing_prices (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  metric     TEXT NOT NULL,
  unit_fen   INTEGER NOT NULL CHECK (unit_fen >= 0),
  updated_by TEXT,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, metric)
);

-- One usage record per (source, idem_key); priced when recorded.
CREATE TABLE usage_records (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  owner_kind     TEXT NOT NULL CHECK (owner_kind IN ('shop', 'pickup_point')),
  owner_id       TEXT NOT NULL,
  metric         TEXT NOT NULL,
  quantity       INTEGER NOT NULL CHECK (quantity > 0),
  unit_fen       INTEGER NOT NULL CHECK (unit_fen >= 0),
  amount_fen     INTEGER NOT NULL CHECK (amount_fen >= 0),
  revenue_source TEXT NOT NULL,
  source         TEXT NOT NULL,
  idem_key       TEXT NOT NULL,
  period         TEXT NOT NULL CHECK (length(period) = 7),
  created_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, source, idem_key)
);
CREATE INDEX usage_records_period ON usage_records (tenant_id, period, owner_id);

-- Free quantities of a metric granted to an owner until expires_at; pack
-- names the bundle it came with ('onboarding'), granted once per owner.
CREATE TABLE credit_grants (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  owner_kind TEXT NOT NULL CHECK (owner_kind IN ('shop', 'pickup_point')),
  owner_id   TEXT NOT NULL,
  metric     TEXT NOT NULL,
  quantity   INTEGER NOT NULL CHECK (quantity > 0),
  pack       TEXT NOT NULL DEFAULT '',
  expires_at TIMESTAMP NOT NULL,
  granted_by TEXT,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX credit_grants_pack ON credit_grants (tenant_id, owner_id, pack, metric) WHERE pack <> '';
CREATE INDEX credit_grants_owner ON credit_grants (tenant_id, owner_id);

-- One invoice per owner and period. total_fen = fees_fen + usage_fen -
-- credit_fen; commission_fen is informational (posted per order). What is
-- still due is total_fen - settled_fen - paid_fen.
CREATE TABLE invoices (
  tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  number           TEXT NOT NULL,
  owner_kind       TEXT NOT NULL CHECK (owner_kind IN ('shop', 'pickup_point')),
  owner_id         TEXT NOT NULL,
  owner_name       TEXT NOT NULL,
  period           TEXT NOT NULL CHECK (length(period) = 7),
  status           TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void')),
  currency         TEXT NOT NULL,
  fees_fen         INTEGER NOT NULL CHECK (fees_fen >= 0),
  usage_fen        INTEGER NOT NULL CHECK (usage_fen >= 0),
  credit_fen       INTEGER NOT NULL CHECK (credit_fen >= 0),
  total_fen        INTEGER NOT NULL CHECK (total_fen >= 0),
  commission_fen   INTEGER NOT NULL DEFAULT 0,
  settled_fen      INTEGER NOT NULL DEFAULT 0 CHECK (settled_fen >= 0),
  paid_fen         INTEGER NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
  collector_ref    TEXT NOT NULL DEFAULT '',
  collect_error    TEXT NOT NULL DEFAULT '',
  paid_method      TEXT NOT NULL DEFAULT '',
  void_reason      TEXT NOT NULL DEFAULT '',
  credits_released BOOLEAN NOT NULL DEFAULT 0,
  issued_at        TIMESTAMP,
  paid_at          TIMESTAMP,
  voided_at        TIMESTAMP,
  created_at       TIMESTAMP NOT NULL,
  updated_at       TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, owner_id, period),
  UNIQUE (tenant_id, number),
  CHECK (total_fen = fees_fen + usage_fen - credit_fen),
  CHECK (settled_fen + paid_fen <= total_fen)
);
CREATE INDEX invoices_period ON invoices (tenant_id, period, status);
CREATE INDEX invoices_collector_ref ON invoices (tenant_id, collector_ref) WHERE collector_ref <> '';

-- kind: plan (a fee), usage (a metric at a unit price; source 'record' or
-- 'plugin:{name}'), credit (negative: a grant applied), commission
-- (informational, not in the total).
CREATE TABLE invoice_lines (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  invoice_id     TEXT NOT NULL,
  line_no        INTEGER NOT NULL CHECK (line_no >= 0),
  kind           TEXT NOT NULL CHECK (kind IN ('plan', 'usage', 'credit', 'commission')),
  label          TEXT NOT NULL DEFAULT '',
  detail         TEXT NOT NULL DEFAULT '',
  metric         TEXT NOT NULL DEFAULT '',
  source         TEXT NOT NULL DEFAULT '',
  plan_id        TEXT,
  grant_id       TEXT,
  quantity       INTEGER NOT NULL,
  unit_fen       INTEGER NOT NULL,
  amount_fen     INTEGER NOT NULL,
  revenue_source TEXT NOT NULL DEFAULT '',
  priced         BOOLEAN NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, invoice_id, line_no),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX invoice_lines_grant ON invoice_lines (tenant_id, grant_id) WHERE grant_id IS NOT NULL;

-- Money received for an invoice, once per (method, ref): 'payable' (from
-- the shop's payable balance), 'offline', or a payment provider.
CREATE TABLE invoice_payments (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  invoice_id TEXT NOT NULL,
  method     TEXT NOT NULL,
  ref        TEXT NOT NULL,
  amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
  note       TEXT NOT NULL DEFAULT '',
  actor_id   TEXT,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, method, ref),
  FOREIGN KEY (tenant_id, invoice_id) REFERENCES invoices (tenant_id, id)
);
CREATE INDEX invoice_payments_invoice ON invoice_payments (tenant_id, invoice_id);

-- Month-end runs: scheduled_at is set by the one server that enqueued the
-- period's month-end job; the last run's outcome follows.
CREATE TABLE invoice_runs (
  tenant_id    TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  period       TEXT NOT NULL CHECK (length(period) = 7),
  scheduled_at TIMESTAMP,
  last_run_at  TIMESTAMP,
  generated    INTEGER NOT NULL DEFAULT 0,
  issued       INTEGER NOT NULL DEFAULT 0,
  error        TEXT NOT NULL DEFAULT '',
  created_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, period)
);
