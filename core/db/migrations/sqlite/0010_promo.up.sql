-- SQLite twin of pg/0010_promo.up.sql.
-- Promotions and price lists (core/promo): the tenant's customer groups
-- (会员, 授权代理) and their members; shops' price lists (member prices
-- and wholesale tier prices per SKU and group); promotions (满减 tiers,
-- 满X换购 add-ons, 包邮), shop- or tenant-level; coupons with their
-- redemptions; flash sales (限时特卖) with the units sold.
--
-- Caps are held by the database too: a coupon's used_count never exceeds
-- its total_limit and a flash sale's sold never exceeds its qty_cap; the
-- service changes both only with conditional UPDATEs.

-- Customer groups of the tenant: vip (会员), wholesale (授权代理, B2B
-- agents) or other.
CREATE TABLE customer_groups (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  name        TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('vip', 'wholesale', 'other')),
  description TEXT NOT NULL DEFAULT '',
  created_at  TIMESTAMP NOT NULL,
  updated_at  TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, name)
);

CREATE TABLE customer_group_members (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  group_id   TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  added_by   TEXT,                       -- the admin who added the member
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, group_id, user_id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES customer_groups (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_group_members_user ON customer_group_members (tenant_id, user_id);

-- A shop's prices for one customer group: member prices (min_qty 1) and,
-- for wholesale groups, tier prices from a minimum quantity.
CREATE TABLE price_lists (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  shop_id    TEXT NOT NULL,
  group_id   TEXT NOT NULL,
  name       TEXT NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1,
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shop_id, group_id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES customer_groups (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX price_lists_group ON price_lists (tenant_id, group_id);

CREATE TABLE price_list_entries (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  price_list_id TEXT NOT NULL,
  sku_id        TEXT NOT NULL,
  min_qty       INTEGER NOT NULL CHECK (min_qty BETWEEN 1 AND 9999),
  price_fen     INTEGER NOT NULL CHECK (price_fen > 0),
  PRIMARY KEY (tenant_id, price_list_id, sku_id, min_qty),
  FOREIGN KEY (tenant_id, price_list_id) REFERENCES price_lists (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id)
);
CREATE INDEX price_list_entries_sku ON price_list_entries (tenant_id, sku_id);

-- Promotions: threshold (满减 tiers), addon (满X换购: sku_id at price_fen
-- after threshold_fen), free_shipping (满X包邮 by threshold_fen, or 单品包邮
-- by product_id). shop_id NULL: tenant-level, funded by the platform.
CREATE TABLE promotions (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  shop_id       TEXT,
  kind          TEXT NOT NULL CHECK (kind IN ('threshold', 'addon', 'free_shipping')),
  name          TEXT NOT NULL,
  starts_at     TIMESTAMP NOT NULL,
  ends_at       TIMESTAMP NOT NULL,
  active        INTEGER NOT NULL DEFAULT 1,
  tiers         TEXT NOT NULL DEFAULT '[]',
  threshold_fen INTEGER NOT NULL DEFAULT 0 CHECK (threshold_fen >= 0),
  sku_id        TEXT,
  price_fen     INTEGER NOT NULL DEFAULT 0 CHECK (price_fen >= 0),
  product_id    TEXT,
  created_at    TIMESTAMP NOT NULL,
  updated_at    TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  CHECK (ends_at > starts_at),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX promotions_shop ON promotions (tenant_id, shop_id, ends_at);

-- Coupons: code unique per tenant whatever its case (code_key is the
-- folded code). shop_id NULL: a tenant coupon, funded by the platform.
CREATE TABLE coupons (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  shop_id        TEXT,
  code           TEXT NOT NULL,
  code_key       TEXT NOT NULL,
  name           TEXT NOT NULL,
  starts_at      TIMESTAMP NOT NULL,
  ends_at        TIMESTAMP NOT NULL,
  min_spend_fen  INTEGER NOT NULL DEFAULT 0 CHECK (min_spend_fen >= 0),
  amount_off_fen INTEGER NOT NULL DEFAULT 0 CHECK (amount_off_fen >= 0),
  percent_off    INTEGER NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100),
  max_off_fen    INTEGER NOT NULL DEFAULT 0 CHECK (max_off_fen >= 0),
  per_user_limit INTEGER NOT NULL DEFAULT 0 CHECK (per_user_limit >= 0),
  total_limit    INTEGER NOT NULL DEFAULT 0 CHECK (total_limit >= 0),
  used_count     INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0),
  active         INTEGER NOT NULL DEFAULT 1,
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code_key),
  CHECK (ends_at > starts_at),
  CHECK (total_limit = 0 OR used_count <= total_limit),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);
CREATE INDEX coupons_shop ON coupons (tenant_id, shop_id);

-- One use of a coupon by a checkout (owner); released_at is set when the
-- order is cancelled and the use given back.
CREATE TABLE coupon_redemptions (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  coupon_id   TEXT NOT NULL,
  user_id     TEXT,
  owner       TEXT NOT NULL,
  amount_fen  INTEGER NOT NULL CHECK (amount_fen >= 0),
  created_at  TIMESTAMP NOT NULL,
  released_at TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, coupon_id) REFERENCES coupons (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX coupon_redemptions_user ON coupon_redemptions (tenant_id, coupon_id, user_id);
CREATE INDEX coupon_redemptions_owner ON coupon_redemptions (tenant_id, owner);

-- Flash sales (限时特卖): a SKU at price_fen in [starts_at, ends_at), at
-- most qty_cap units in all.
CREATE TABLE flash_sales (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  shop_id        TEXT NOT NULL,
  sku_id         TEXT NOT NULL,
  name           TEXT NOT NULL,
  price_fen      INTEGER NOT NULL CHECK (price_fen > 0),
  starts_at      TIMESTAMP NOT NULL,
  ends_at        TIMESTAMP NOT NULL,
  qty_cap        INTEGER NOT NULL CHECK (qty_cap > 0),
  sold           INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0),
  per_user_limit INTEGER NOT NULL DEFAULT 0 CHECK (per_user_limit >= 0),
  active         INTEGER NOT NULL DEFAULT 1,
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  CHECK (ends_at > starts_at),
  CHECK (sold <= qty_cap),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id)
);
CREATE INDEX flash_sales_sku ON flash_sales (tenant_id, sku_id, ends_at);
CREATE INDEX flash_sales_shop ON flash_sales (tenant_id, shop_id, ends_at);

-- Units of a flash sale bought by a checkout (owner); released_at is set
-- when the order is cancelled and the units given back.
CREATE TABLE flash_sale_units (
  tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id            TEXT NOT NULL,
  flash_sale_id TEXT NOT NULL,
  user_id       TEXT,
  owner         TEXT NOT NULL,
  qty           INTEGER NOT NULL CHECK (qty > 0),
  created_at    TIMESTAMP NOT NULL,
  released_at   TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, flash_sale_id) REFERENCES flash_sales (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX flash_sale_units_user ON flash_sale_units (tenant_id, flash_sale_id, user_id);
CREATE INDEX flash_sale_units_owner ON flash_sale_units (tenant_id, owner);
