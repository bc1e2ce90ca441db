-- SQLite twin of pg/0004_merchant.up.sql: the same tables and keys; no
-- row-level security (the embedded database serves one process).

CREATE TABLE shops (
  tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               TEXT NOT NULL,
  slug             TEXT NOT NULL,
  name             TEXT NOT NULL,
  region_id        TEXT,            -- NULL for the flagship store
  owner_id         TEXT,            -- NULL for the flagship store
  is_flagship      INTEGER NOT NULL DEFAULT 0,
  status           TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'active', 'suspended', 'closed')),
  logo_path        TEXT NOT NULL DEFAULT '',
  banner_path      TEXT NOT NULL DEFAULT '',
  description      TEXT NOT NULL DEFAULT '',
  service_promises TEXT NOT NULL DEFAULT '',
  returns_policy   TEXT NOT NULL DEFAULT '',
  contact_phone    TEXT NOT NULL DEFAULT '',
  contact_email    TEXT NOT NULL DEFAULT '',
  theme_color      TEXT NOT NULL DEFAULT '',
  announcement     TEXT NOT NULL DEFAULT '',
  suspended_reason TEXT NOT NULL DEFAULT '',
  created_at       TIMESTAMP NOT NULL,
  updated_at       TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, slug),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX shops_one_flagship ON shops (tenant_id) WHERE is_flagship = 1;
CREATE INDEX shops_owner ON shops (tenant_id, owner_id);
CREATE INDEX shops_region ON shops (tenant_id, region_id);

CREATE TABLE merchant_applications (
  tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                TEXT NOT NULL,
  applicant_id      TEXT NOT NULL,
  shop_name         TEXT NOT NULL,
  slug              TEXT,           -- NULL when listing through the flagship store
  contact_name      TEXT NOT NULL,
  contact_phone     TEXT NOT NULL,
  contact_email     TEXT NOT NULL DEFAULT '',
  licence_no        TEXT NOT NULL,  -- 营业执照号: 15 digits or the 18-character unified social credit code
  main_categories   TEXT NOT NULL DEFAULT '[]', -- JSON array of top-level category codes
  region_id         TEXT NOT NULL,
  expected_products INTEGER NOT NULL CHECK (expected_products BETWEEN 0 AND 100000),
  via_flagship      INTEGER NOT NULL DEFAULT 0,
  status            TEXT NOT NULL DEFAULT 'submitted'
                    CHECK (status IN ('submitted', 'changes_requested', 'approved', 'rejected', 'withdrawn')),
  review_note       TEXT NOT NULL DEFAULT '',
  reviewed_by       TEXT,
  reviewed_at       TIMESTAMP,
  shop_id           TEXT,
  created_at        TIMESTAMP NOT NULL,
  updated_at        TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, applicant_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id),
  FOREIGN KEY (tenant_id, reviewed_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);
-- One open application per applicant, and an open application's slug is
-- its own until it is decided.
CREATE UNIQUE INDEX merchant_applications_open_applicant ON merchant_applications (tenant_id, applicant_id)
  WHERE status IN ('submitted', 'changes_requested');
CREATE UNIQUE INDEX merchant_applications_open_slug ON merchant_applications (tenant_id, slug)
  WHERE status IN ('submitted', 'changes_requested');
CREATE INDEX merchant_applications_status ON merchant_applications (tenant_id, status, created_at);
CREATE INDEX merchant_applications_applicant ON merchant_applications (tenant_id, applicant_id, created_at);

CREATE TABLE shop_staff (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  shop_id    TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('merchant_owner', 'merchant_staff')),
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shop_id, user_id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX shop_staff_user ON shop_staff (tenant_id, user_id);

CREATE TABLE shop_invitations (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  shop_id     TEXT NOT NULL,
  email       TEXT NOT NULL DEFAULT '',
  phone       TEXT NOT NULL DEFAULT '',
  role        TEXT NOT NULL CHECK (role IN ('merchant_owner', 'merchant_staff')),
  token_hash  TEXT NOT NULL,       -- sha256 of the token; the token itself is never stored
  invited_by  TEXT NOT NULL,
  expires_at  TIMESTAMP NOT NULL,
  accepted_at TIMESTAMP,
  accepted_by TEXT,
  created_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  CHECK (email <> '' OR phone <> ''),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, invited_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, accepted_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX shop_invitations_shop ON shop_invitations (tenant_id, shop_id, created_at);

-- Approved applicants with too few products for a shop of their own sell
-- through the tenant's flagship store.
CREATE TABLE flagship_suppliers (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  application_id TEXT NOT NULL,
  created_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, application_id) REFERENCES merchant_applications (tenant_id, id)
);
