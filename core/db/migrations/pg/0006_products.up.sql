-- Products: what a shop sells. A product (name, category, status,
-- attributes) has one or more SKUs (规格: 500g / 1kg / 10kg) that carry
-- prices in fen, weight and barcode, and images. The flagship store lists
-- products on behalf of small suppliers (supplier_id).

CREATE TABLE products (
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             uuid NOT NULL,
  shop_id        uuid NOT NULL,
  category_id    uuid NOT NULL,
  name           text NOT NULL,
  subtitle       text NOT NULL DEFAULT '',
  description    text NOT NULL DEFAULT '',
  status         text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'archived')),
  origin         text NOT NULL DEFAULT '',   -- 产地
  certifications text NOT NULL DEFAULT '[]', -- JSON array: green, organic, geo (绿色/有机/地理标志)
  attributes     text NOT NULL DEFAULT '{}', -- JSON object of further attributes
  series         text NOT NULL DEFAULT '',   -- 系列
  supplier_id    uuid,                       -- flagship store: the supplier it is listed for
  cover_path     text NOT NULL DEFAULT '',
  sales_count    bigint NOT NULL DEFAULT 0 CHECK (sales_count >= 0),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id),
  FOREIGN KEY (tenant_id, supplier_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX products_shop ON products (tenant_id, shop_id, status);
CREATE INDEX products_category ON products (tenant_id, category_id, status);

CREATE TABLE skus (
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id              uuid NOT NULL,
  product_id      uuid NOT NULL,
  shop_id         uuid NOT NULL,
  code            text NOT NULL,             -- the shop's own SKU code, unique in the shop
  spec            text NOT NULL,             -- 规格: "500g", "1kg", "10kg"
  price_fen       bigint NOT NULL CHECK (price_fen >= 0 AND price_fen <= 100000000000),
  list_price_fen  bigint NOT NULL CHECK (list_price_fen >= 0 AND list_price_fen <= 100000000000),
  cost_fen        bigint NOT NULL DEFAULT 0 CHECK (cost_fen >= 0 AND cost_fen <= 100000000000),
  weight_g        integer NOT NULL DEFAULT 0 CHECK (weight_g >= 0),
  barcode         text NOT NULL DEFAULT '',
  purchase_limit  integer NOT NULL DEFAULT 0 CHECK (purchase_limit >= 0), -- per order; 0 = none
  status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  sort            integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, shop_id, code),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id)
);
CREATE INDEX skus_product ON skus (tenant_id, product_id);

CREATE TABLE product_images (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  product_id uuid NOT NULL,
  path       text NOT NULL,  -- storage key under /uploads/
  sort       integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX product_images_product ON product_images (tenant_id, product_id, sort);

SELECT jishi_apply_tenant_rls();
