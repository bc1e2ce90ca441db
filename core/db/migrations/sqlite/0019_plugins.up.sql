-- Plugins (core/pluginhost). The platform's kill switch per plugin; per
-- tenant the switches and settings at each level (tenant, region, shop);
-- the audit log of every change; events and job runs that failed for good
-- (dead letters); the ticks of scheduled jobs already claimed, so a job
-- runs once per tenant per tick whatever the number of server instances.

CREATE TABLE plugin_kill_switches (
  plugin     TEXT PRIMARY KEY,
  disabled   BOOLEAN NOT NULL,
  reason     TEXT NOT NULL DEFAULT '',
  updated_at TIMESTAMP NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
);

-- level: 'tenant' (target_id ''), 'region' (target_id a region), 'shop'
-- (target_id a shop). enabled NULL at shop level means "as the region".
-- config_json holds settings at tenant and shop level (shop keys override
-- the tenant's). version grows with every change of the tenant's rows.
CREATE TABLE plugin_switches (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  plugin      TEXT NOT NULL,
  level       TEXT NOT NULL CHECK (level IN ('tenant', 'region', 'shop')),
  target_id   TEXT NOT NULL DEFAULT '',
  enabled     BOOLEAN,
  config_json TEXT NOT NULL DEFAULT '{}',
  version     INTEGER NOT NULL,
  updated_at  TIMESTAMP NOT NULL,
  updated_by  TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, plugin, level, target_id)
);

CREATE TABLE plugin_audit (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  plugin     TEXT NOT NULL,
  level      TEXT NOT NULL,
  target_id  TEXT NOT NULL DEFAULT '',
  action     TEXT NOT NULL,                -- enable, disable, inherit, settings
  old_value  TEXT NOT NULL DEFAULT '',
  new_value  TEXT NOT NULL DEFAULT '',
  actor_id   TEXT NOT NULL DEFAULT '',
  actor_name TEXT NOT NULL DEFAULT '',
  at         TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX plugin_audit_recent ON plugin_audit (tenant_id, plugin, at DESC);

CREATE TABLE plugin_dead_letters (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  plugin     TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('event', 'job')),
  event_id   TEXT NOT NULL DEFAULT '',
  event_type TEXT NOT NULL DEFAULT '',
  shop_id    TEXT NOT NULL DEFAULT '',
  payload    TEXT NOT NULL DEFAULT '',
  attempts   INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TIMESTAMP NOT NULL,
  retried_at TIMESTAMP,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX plugin_dead_letters_open ON plugin_dead_letters (tenant_id, plugin, created_at DESC);

CREATE TABLE plugin_job_ticks (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  plugin      TEXT NOT NULL,
  job         TEXT NOT NULL,
  tick        TIMESTAMP NOT NULL,
  claimed_at  TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  summary     TEXT NOT NULL DEFAULT '',
  error       TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, plugin, job, tick)
);

-- Billable usage plugins record (usage:record), once per idempotency key.
CREATE TABLE plugin_usage (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  plugin      TEXT NOT NULL,
  shop_id     TEXT NOT NULL DEFAULT '',
  metric      TEXT NOT NULL,
  quantity    INTEGER NOT NULL CHECK (quantity > 0),
  idem_key    TEXT NOT NULL,
  occurred_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, plugin, idem_key)
);

-- Line attributes a plugin set on the line ("groupbuy.group" -> id), as a
-- JSON object; '{}' when none.
ALTER TABLE order_lines ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';

