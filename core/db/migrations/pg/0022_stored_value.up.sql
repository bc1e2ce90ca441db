-- Stored-value cards (充值卡): codes a shopper redeems into the 惠农通
-- balance. Only a hash of each code is kept; the code is shown once, when
-- the card is issued. issuer '' is the platform, else the plugin that sold
-- the card (the gift-card plugin). Ledger: stored_value_issued credits
-- stored_value:{issuer}; stored_value_redeemed moves it to the shopper's
-- customer_balance.
CREATE TABLE stored_value_cards (
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  id          uuid NOT NULL,
  code_hash   text NOT NULL,
  last4       text NOT NULL,
  issuer      text NOT NULL DEFAULT '',
  reference   text NOT NULL,               -- the issuer's reference of the batch (idempotency)
  amount_fen  bigint NOT NULL CHECK (amount_fen > 0),
  status      text NOT NULL CHECK (status IN ('issued', 'redeemed', 'void')),
  issued_at   timestamptz NOT NULL,
  expires_at  timestamptz,
  redeemed_by uuid,
  redeemed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code_hash)
);
CREATE INDEX stored_value_cards_batch ON stored_value_cards (tenant_id, issuer, reference);

SELECT jishi_apply_tenant_rls();
