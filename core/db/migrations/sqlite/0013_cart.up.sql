-- SQLite twin of pg/0013_cart.up.sql.
-- Cart (core/cart): one cart per shopper, or per anonymous visitor, across
-- every shop of the marketplace. A visitor's cart is found by the sha256
-- (hex) of the random token in its jishi_cart cookie; the token itself is
-- never stored. At sign-in the visitor's cart merges into the shopper's.

CREATE TABLE carts (
  tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         TEXT NOT NULL,
  user_id    TEXT,                 -- the signed-in shopper's cart
  token_hash TEXT,                 -- or an anonymous visitor's
  region_id  TEXT,                 -- the region the shopper chose (availability)
  created_at TIMESTAMP NOT NULL,
  updated_at TIMESTAMP NOT NULL,   -- last change; stale anonymous carts are swept
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, user_id),
  UNIQUE (tenant_id, token_hash),
  CHECK ((user_id IS NULL) <> (token_hash IS NULL)),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, region_id) REFERENCES regions (tenant_id, id)
);
CREATE INDEX carts_anonymous_stale ON carts (tenant_id, updated_at) WHERE token_hash IS NOT NULL;

-- One line per SKU. seen_price_fen and seen_state are what the shopper was
-- last shown (unit price; ok, short, out_of_stock, over_limit or
-- unavailable), so the next view can say what changed.
CREATE TABLE cart_lines (
  tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             TEXT NOT NULL,
  cart_id        TEXT NOT NULL,
  sku_id         TEXT NOT NULL,
  qty            INTEGER NOT NULL CHECK (qty BETWEEN 1 AND 999),
  seen_price_fen INTEGER NOT NULL CHECK (seen_price_fen >= 0 AND seen_price_fen <= 100000000000),
  seen_state     TEXT NOT NULL DEFAULT 'ok'
                 CHECK (seen_state IN ('ok', 'short', 'out_of_stock', 'over_limit', 'unavailable')),
  created_at     TIMESTAMP NOT NULL,
  updated_at     TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, cart_id, sku_id),
  FOREIGN KEY (tenant_id, cart_id) REFERENCES carts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX cart_lines_sku ON cart_lines (tenant_id, sku_id);
