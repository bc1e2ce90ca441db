-- Cart (core/cart): one cart per shopper, or per anonymous visitor, across
-- every shop of the marketplace. A visitor's cart is found by the sha256
-- (hex) of the random token in its jishi_cart cookie; the token itself is
-- never stored. At sign-in the visitor's cart merges into the shopper's.

CREATE TABLE carts (
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id         uuid NOT NULL,
  user_id    uuid,                 -- the signed-in shopper's cart
  token_hash text,                 -- or an anonymous visitor's
  region_id  uuid,                 -- the region the shopper chose (availability)
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL, -- last change; stale anonymous carts are swept
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
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id             uuid NOT NULL,
  cart_id        uuid NOT NULL,
  sku_id         uuid NOT NULL,
  qty            integer NOT NULL CHECK (qty BETWEEN 1 AND 999),
  seen_price_fen bigint NOT NULL CHECK (seen_price_fen >= 0 AND seen_price_fen <= 100000000000),
  seen_state     text NOT NULL DEFAULT 'ok'
                 CHECK (seen_state IN ('ok', 'short', 'out_of_stock', 'over_limit', 'unavailable')),
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, cart_id, sku_id),
  FOREIGN KEY (tenant_id, cart_id) REFERENCES carts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, sku_id) REFERENCES skus (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX cart_lines_sku ON cart_lines (tenant_id, sku_id);

SELECT jishi_apply_tenant_rls();
