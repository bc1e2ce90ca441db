-- Global tables carry a comment starting with "global:"; every other table
-- is a tenant table and must follow the tenant rules (tenant_id first in the
-- primary key and in every foreign key between tenant tables, row-level
-- security). core/db's schema test checks this against the catalog.

CREATE OR REPLACE FUNCTION jishi_is_global(tbl regclass) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(obj_description(tbl, 'pg_class'), '') LIKE 'global:%'
$$;

-- jishi_apply_tenant_rls enables and forces row-level security on every
-- tenant table of the current schema that has none yet. Every migration
-- that adds a tenant table ends by calling it.
CREATE OR REPLACE FUNCTION jishi_apply_tenant_rls() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE t record;
BEGIN
  FOR t IN
    SELECT c.oid, c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
      AND c.relname NOT LIKE 'bun_%'
      AND NOT jishi_is_global(c.oid)
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.relname);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t.relname);
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = current_schema()
                   AND tablename = t.relname AND policyname = 'tenant_isolation') THEN
      EXECUTE format(
        'CREATE POLICY tenant_isolation ON %I '
        'USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid) '
        'WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)',
        t.relname);
    END IF;
  END LOOP;
END $$;

CREATE TABLE tenants (
  id             uuid PRIMARY KEY,
  slug           text NOT NULL UNIQUE,
  name           text NOT NULL,
  time_zone      text NOT NULL DEFAULT 'Asia/Shanghai',
  currency       text NOT NULL DEFAULT 'CNY',
  default_locale text NOT NULL DEFAULT 'zh-CN',
  settings       jsonb NOT NULL DEFAULT '{}',
  status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL
);
COMMENT ON TABLE tenants IS 'global: the marketplaces themselves';

CREATE TABLE tenant_domains (
  domain     text PRIMARY KEY,
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL
);
CREATE INDEX tenant_domains_tenant ON tenant_domains (tenant_id);
COMMENT ON TABLE tenant_domains IS 'global: host name to tenant, read before a tenant is known';

CREATE TABLE regions (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  parent_id  uuid,
  code       text NOT NULL,
  name       text NOT NULL,
  level      text NOT NULL CHECK (level IN ('city', 'district')),
  sort       integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES regions (tenant_id, id)
);

SELECT jishi_apply_tenant_rls();
