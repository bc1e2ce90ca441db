-- Merchants: self-onboarding applications and their review, shops (the
-- tenant's flagship store 官方旗舰店 and merchants' own shops), shop staff
-- and staff invitations, and suppliers who sell through the flagship store.

CREATE TABLE shops (
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id               uuid NOT NULL,
  slug             text NOT NULL,
  name             text NOT NULL,
  region_id        uuid,            -- NULL for the flagship store
  owner_id         uuid,            -- NULL for the flagship store
  is_flagship      boolean NOT NULL DEFAULT false,
  status           text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'active', 'suspended', 'closed')),
  logo_path        text NOT NULL DEFAULT '',
  banner_path      text NOT NULL DEFAULT '',
  description      text NOT NULL DEFAULT '',
  service_promises text NOT NULL DEFAULT '',
  returns_policy   text NOT NULL DEFAULT '',
  contact_phone    text NOT NULL DEFAULT '',
  contact_email    text NOT NULL DEFAULT '',
  theme_color      text NOT NULL DEFAULT '' CHECK (theme_color = '' OR theme_color ~ '^#[0-9a-f]{6}$'),
  announcement     text NOT NULL DEFAULT '',
  suspended_reason text NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, slug),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX shops_one_flagship ON shops (tenant_id) WHERE is_flagship;
CREATE INDEX shops_owner ON shops (tenant_id, owner_id);
CREATE INDEX shops_region ON shops (tenant_id, region_id);

CREATE TABLE merchant_applications (
  tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id                uuid NOT NULL,
  applicant_id      uuid NOT NULL,
  shop_name         text NOT NULL,
  slug              text,           -- NULL when listing through the flagship store
  contact_name      text NOT NULL,
  contact_phone     text NOT NULL,
  contact_email     text NOT NULL DEFAULT '',
  licence_no        text NOT NULL,  -- 营业执照号: 15 digits or the 18-character unified social credit code
  main_categories   text NOT NULL DEFAULT '[]', -- JSON array of top-level category codes
  region_id         uuid NOT NULL,
  expected_products integer NOT NULL CHECK (expected_products BETWEEN 0 AND 100000),
  via_flagship      boolean NOT NULL DEFAULT false,
  status            text NOT NULL DEFAULT 'submitted'
                    CHECK (status IN ('submitted', 'changes_requested', 'approved', 'rejected', 'withdrawn')),
  review_note       text NOT NULL DEFAULT '',
  reviewed_by       uuid,
  reviewed_at       timestamptz,
  shop_id           uuid,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
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
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  shop_id    uuid NOT NULL,
  user_id    uuid NOT NULL,
  role       text NOT NULL CHECK (role IN ('merchant_owner', 'merchant_staff')),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shop_id, user_id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX shop_staff_user ON shop_staff (tenant_id, user_id);

CREATE TABLE shop_invitations (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  shop_id     uuid NOT NULL,
  email       text NOT NULL DEFAULT '',
  phone       text NOT NULL DEFAULT '',
  role        text NOT NULL CHECK (role IN ('merchant_owner', 'merchant_staff')),
  token_hash  text NOT NULL,       -- sha256 of the token; the token itself is never stored
  invited_by  uuid NOT NULL,
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid,
  created_at  timestamptz NOT NULL,
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
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             uuid NOT NULL,
  user_id        uuid NOT NULL,
  application_id uuid NOT NULL,
  created_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, application_id) REFERENCES merchant_applications (tenant_id, id)
);

SELECT jishi_apply_tenant_rls();
