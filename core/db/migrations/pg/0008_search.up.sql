-- Search (core/search): an index inside the database, no extra service.
-- search_docs holds one row per searchable product (active product with an
-- active SKU in an active shop) with what filters, sorts and result lists
-- need; search_tokens holds the product's tokens (CJK unigrams and bigrams,
-- pinyin syllables and syllable pairs, initials pairs, ASCII words) with
-- the summed weight of the fields they come from. Both are rewritten by
-- search.Service.IndexProduct in the transaction that changes the product.

CREATE TABLE search_docs (
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  product_id     uuid NOT NULL,
  shop_id        uuid NOT NULL,
  category_id    uuid NOT NULL,
  region_id      uuid,                      -- the shop's district; NULL for the flagship store
  is_flagship    boolean NOT NULL DEFAULT false,
  name           text NOT NULL,
  cover_path     text NOT NULL DEFAULT '',
  price_fen      bigint NOT NULL,           -- lowest price of the product's active SKUs
  list_price_fen bigint NOT NULL,           -- list price of that SKU
  in_stock       boolean NOT NULL DEFAULT true, -- maintained by inventory; true until it exists
  sales_count    bigint NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL,      -- the product's
  indexed_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, product_id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, shop_id) REFERENCES shops (tenant_id, id),
  FOREIGN KEY (tenant_id, category_id) REFERENCES categories (tenant_id, id),
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id)
);
CREATE INDEX search_docs_created ON search_docs (tenant_id, created_at);
CREATE INDEX search_docs_sales ON search_docs (tenant_id, sales_count);
CREATE INDEX search_docs_price ON search_docs (tenant_id, price_fen);
CREATE INDEX search_docs_shop ON search_docs (tenant_id, shop_id);
CREATE INDEX search_docs_category ON search_docs (tenant_id, category_id);

-- token is compared byte-wise (COLLATE "C") so that a prefix is the range
-- token >= 'cao' AND token < 'cap' on the primary key's btree, as on SQLite.
CREATE TABLE search_tokens (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  token      text COLLATE "C" NOT NULL,
  product_id uuid NOT NULL,
  weight     integer NOT NULL CHECK (weight > 0),
  PRIMARY KEY (tenant_id, token, product_id) INCLUDE (weight),
  FOREIGN KEY (tenant_id, product_id) REFERENCES search_docs (tenant_id, product_id) ON DELETE CASCADE
);
CREATE INDEX search_tokens_product ON search_tokens (tenant_id, product_id);

SELECT jishi_apply_tenant_rls();
