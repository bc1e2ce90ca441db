-- Stored-value cards (充值卡): codes a shopper redeems into the 惠农通
-- balance. Only a hash of each code is kept; the code is shown once, when
-- the card is issued. issuer '' is the platform, else the plugin that sold
-- the card (the gift-card plugin). Ledger: stored_value_issued credits
-- stored_value:{issuer}; stored_value_redeemed moves it to the shopper's
-- customer_balance.
CREATE TABLE stored_value_cards (
  tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          TEXT NOT NULL,
  code_hash   TEXT NOT NULL,
  last4       TEXT NOT NULL,
  issuer      TEXT NOT NULL DEFAULT '',
  reference   TEXT NOT NULL,               -- the issuer's reference of the batch (idempotency)
  amount_fen  INTEGER NOT NULL CHECK (amount_fen > 0),
  status      TEXT NOT NULL CHECK (status IN ('issued', 'redeemed', 'void')),
  issued_at   TIMESTAMP NOT NULL,
  expires_at  TIMESTAMP,
  redeemed_by TEXT,
  redeemed_at TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code_hash)
);
CREATE INDEX stored_value_cards_batch ON stored_value_cards (tenant_id, issuer, reference);

