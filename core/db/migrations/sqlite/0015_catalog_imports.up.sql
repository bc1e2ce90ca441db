-- SQLite twin of pg/0015_catalog_imports.up.sql.
-- Catalog CSV imports: one row per uploaded file, with its progress and
-- its report of bad rows. A large file waits here (data) for the import
-- job (core/jobs, River) that works it; data is cleared when it is done.
CREATE TABLE catalog_imports (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  shop_id        TEXT NOT NULL,
  user_id        TEXT NOT NULL,               -- who uploaded it
  filename       TEXT NOT NULL DEFAULT '',
  encoding       TEXT NOT NULL DEFAULT 'utf-8', -- of the upload: utf-8 or gbk
  status         TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
  total_rows     INTEGER NOT NULL DEFAULT 0 CHECK (total_rows >= 0),
  validated_rows INTEGER NOT NULL DEFAULT 0 CHECK (validated_rows >= 0),
  imported_rows  INTEGER NOT NULL DEFAULT 0 CHECK (imported_rows >= 0),
  products       INTEGER NOT NULL DEFAULT 0 CHECK (products >= 0),
  skus           INTEGER NOT NULL DEFAULT 0 CHECK (skus >= 0),
  report         TEXT NOT NULL DEFAULT '[]',  -- JSON array of bad cells: row, column, field, message key
  error          TEXT NOT NULL DEFAULT '',    -- message key of a failure of the whole file
  data           BLOB,                        -- the file, decoded to UTF-8, until it is imported
  job_id         INTEGER,                     -- River job working it (large files)
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL,
  finished_at    TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX catalog_imports_shop ON catalog_imports (tenant_id, shop_id, created_at);
