-- SQLite twin of pg/0001_tenants.up.sql: the same tables and keys; no
-- row-level security (the embedded database serves one process).
CREATE TABLE tenants (
  id             TEXT PRIMARY KEY,
  slug           TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  time_zone      TEXT NOT NULL DEFAULT 'Asia/Shanghai',
  currency       TEXT NOT NULL DEFAULT 'CNY',
  default_locale TEXT NOT NULL DEFAULT 'zh-CN',
  settings       TEXT NOT NULL DEFAULT '{}',
  status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE tenant_domains (
  domain     TEXT PRIMARY KEY,
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  created_at TIMESTAMP NOT NULL
);
CREATE INDEX tenant_domains_tenant ON tenant_domains (tenant_id);

CREATE TABLE regions (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  parent_id  TEXT,
  code       TEXT NOT NULL,
  name       TEXT NOT NULL,
  level      TEXT NOT NULL CHECK (level IN ('city', 'district')),
  sort       INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES regions (tenant_id, id)
);
