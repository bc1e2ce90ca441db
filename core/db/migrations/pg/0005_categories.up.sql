-- The tenant's category tree (the shopping-core work adds products).
CREATE TABLE categories (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  parent_id  uuid,
  code       text NOT NULL,
  name       text NOT NULL,
  name_en    text NOT NULL DEFAULT '',
  sort       integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES categories (tenant_id, id)
);

SELECT jishi_apply_tenant_rls();
