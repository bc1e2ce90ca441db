-- SQLite twin of pg/0008_search.up.sql.
-- Search (core/search): an index inside the database, no extra service.
-- search_docs holds one row per searchable product (active product with an
-- active SKU in an active shop) with what filters, sorts and result lists
-- need; search_tokens holds the product's tokens (CJK unigrams and bigrams,
-- pinyin syllables and syllable pairs, initials pairs, ASCII words) with
-- the summed weight of the fields they come from. Both are rewritten by
-- search.Service.IndexProduct in the transaction that changes the product.

CREATE TABLE search_docs (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  product_id     TEXT NOT NULL,
  shop_id        TEXT NOT NULL,
  category_id    TEXT NOT NULL,
  region_id      TEXT,                      -- the shop's district; NULL for the flagship store
  is_flagship    INTEGER NOT NULL DEFAULT 0,
  name           TEXT NOT NULL,
  cover_path     TEXT NOT NULL DEFAULT '',
  price_fen      INTEGER NOT NULL,          -- lowest price of the product's active SKUs
  list_price_fen INTEGER NOT NULL,          -- list price of that SKU
  in_stock       INTEGER NOT NULL DEFAULT 1,   -- maintained by inventory; true until it exists
  sales_count    INTEGER NOT NULL DEFAULT 0,
  created_at     TIMESTAMP NOT NULL,        -- the product's
  indexed_at     TIMESTAMP NOT NULL,
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

-- SQLite compares TEXT byte-wise (BINARY), so a prefix is the range
-- token >= 'cao' AND token < 'cap' on the primary key.
CREATE TABLE search_tokens (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  token      TEXT NOT NULL,
  product_id TEXT NOT NULL,
  weight     INTEGER NOT NULL CHECK (weight > 0),
  PRIMARY KEY (tenant_id, token, product_id),
  FOREIGN KEY (tenant_id, product_id) REFERENCES search_docs (tenant_id, product_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX search_tokens_product ON search_tokens (tenant_id, product_id);
