-- Plugins (core/pluginhost). The platform's kill switch per plugin; per
-- tenant the switches and settings at each level (tenant, region, shop);
-- the audit log of every change; events and job runs that failed for good
-- (dead letters); the ticks of scheduled jobs already claimed, so a job
-- runs once per tenant per tick whatever the number of server instances.

CREATE TABLE plugin_kill_switches (
  plugin     text PRIMARY KEY,
  disabled   boolean NOT NULL,
  reason     text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL,
  updated_by text NOT NULL DEFAULT ''
);
COMMENT ON TABLE plugin_kill_switches IS 'global: the platform operator''s switch per plugin, above every tenant';

-- level: 'tenant' (target_id ''), 'region' (target_id a region), 'shop'
-- (target_id a shop). enabled NULL at shop level means "as the region".
-- config_json holds settings at tenant and shop level (shop keys override
-- the tenant's). version grows with every change of the tenant's rows.
CREATE TABLE plugin_switches (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  plugin      text NOT NULL,
  level       text NOT NULL CHECK (level IN ('tenant', 'region', 'shop')),
  target_id   text NOT NULL DEFAULT '',
  enabled     boolean,
  config_json text NOT NULL DEFAULT '{}',
  version     bigint NOT NULL,
  updated_at  timestamptz NOT NULL,
  updated_by  text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, plugin, level, target_id)
);

CREATE TABLE plugin_audit (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  plugin     text NOT NULL,
  level      text NOT NULL,
  target_id  text NOT NULL DEFAULT '',
  action     text NOT NULL,                -- enable, disable, inherit, settings
  old_value  text NOT NULL DEFAULT '',
  new_value  text NOT NULL DEFAULT '',
  actor_id   text NOT NULL DEFAULT '',
  actor_name text NOT NULL DEFAULT '',
  at         timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX plugin_audit_recent ON plugin_audit (tenant_id, plugin, at DESC);

CREATE TABLE plugin_dead_letters (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  plugin     text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('event', 'job')),
  event_id   text NOT NULL DEFAULT '',
  event_type text NOT NULL DEFAULT '',
  shop_id    text NOT NULL DEFAULT '',
  payload    text NOT NULL DEFAULT '',
  attempts   integer NOT NULL,
  last_error text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL,
  retried_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX plugin_dead_letters_open ON plugin_dead_letters (tenant_id, plugin, created_at DESC);

CREATE TABLE plugin_job_ticks (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  plugin      text NOT NULL,
  job         text NOT NULL,
  tick        timestamptz NOT NULL,
  claimed_at  timestamptz NOT NULL,
  finished_at timestamptz,
  summary     text NOT NULL DEFAULT '',
  error       text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, plugin, job, tick)
);

-- Billable usage plugins record (usage:record), once per idempotency key.
CREATE TABLE plugin_usage (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  plugin      text NOT NULL,
  shop_id     text NOT NULL DEFAULT '',
  metric      text NOT NULL,
  quantity    bigint NOT NULL CHECK (quantity > 0),
  idem_key    text NOT NULL,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, plugin, idem_key)
);

-- Line attributes a plugin set on the line ("groupbuy.group" -> id), as a
-- JSON object; '{}' when none.
ALTER TABLE order_lines ADD COLUMN attributes text NOT NULL DEFAULT '{}';

SELECT jishi_apply_tenant_rls();
