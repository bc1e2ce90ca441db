-- Catalog CSV imports: one row per uploaded file, with its progress and
-- its report of bad rows. A large file waits here (data) for the import
-- job (core/jobs, River) that works it; data is cleared when it is done.
CREATE TABLE catalog_imports (
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             uuid NOT NULL,
  shop_id        uuid NOT NULL,
  user_id        uuid NOT NULL,               -- who uploaded it
  filename       text NOT NULL DEFAULT '',
  encoding       text NOT NULL DEFAULT 'utf-8', -- of the upload: utf-8 or gbk
  status         text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  total_rows     integer NOT NULL DEFAULT 0 CHECK (total_rows >= 0),
  validated_rows integer NOT NULL DEFAULT 0 CHECK (validated_rows >= 0),
  imported_rows  integer NOT NULL DEFAULT 0 CHECK (imported_rows >= 0),
  products       integer NOT NULL DEFAULT 0 CHECK (products >= 0),
  skus           integer NOT NULL DEFAULT 0 CHECK (skus >= 0),
  report         text NOT NULL DEFAULT '[]',  -- JSON array of bad cells: row, column, field, message key
  error          text NOT NULL DEFAULT '',    -- message key of a failure of the whole file
  data           bytea,                       -- the file, decoded to UTF-8, until it is imported
  job_id         bigint,                      -- River job working it (large files)
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  finished_at    timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX catalog_imports_shop ON catalog_imports (tenant_id, shop_id, created_at);

SELECT jishi_apply_tenant_rls();
