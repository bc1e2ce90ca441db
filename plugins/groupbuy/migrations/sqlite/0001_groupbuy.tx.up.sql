-- SQLite twin of pg/0001_groupbuy.tx.up.sql.
-- Group buying (拼团): a shop's campaigns, the groups shoppers open and
-- join, their members (one per order), the events already applied, the
-- invite-rebate coupons and each shop's campaigns per month.
--
-- Every table carries tenant_id and every query filters on it. Ids of the
-- host (tenant, shop, region, product, SKU, customer, order, hold) are
-- opaque text. Money is INTEGER fen.

-- A campaign: one SKU of one shop sold at a group price for a window.
-- sold counts paid units; pending_qty counts units of members who have
-- placed their order and not paid yet. Both change only with relative
-- UPDATEs (sold = sold + n) inside the event's transaction.
CREATE TABLE groupbuy_campaigns (
  tenant_id           TEXT NOT NULL,
  id                  TEXT NOT NULL,
  shop_id             TEXT NOT NULL,
  region_id           TEXT NOT NULL DEFAULT '',
  product_id          TEXT NOT NULL,
  sku_id              TEXT NOT NULL,
  title               TEXT NOT NULL,
  image_url           TEXT NOT NULL DEFAULT '',
  group_price_fen     INTEGER NOT NULL CHECK (group_price_fen > 0),
  leader_price_fen    INTEGER NOT NULL CHECK (leader_price_fen > 0 AND leader_price_fen <= group_price_fen),
  regular_price_fen   INTEGER NOT NULL CHECK (regular_price_fen > group_price_fen),
  group_size          INTEGER NOT NULL CHECK (group_size BETWEEN 2 AND 50),
  fill_hours          INTEGER NOT NULL CHECK (fill_hours BETWEEN 1 AND 72),
  starts_at           TIMESTAMP NOT NULL,
  ends_at             TIMESTAMP NOT NULL,
  per_shopper_limit   INTEGER NOT NULL CHECK (per_shopper_limit >= 1),
  quota               INTEGER NOT NULL CHECK (quota >= 1),
  sold                INTEGER NOT NULL DEFAULT 0,
  pending_qty         INTEGER NOT NULL DEFAULT 0,
  solo_allowed        INTEGER NOT NULL DEFAULT 1,
  virtual_success_pct INTEGER NOT NULL DEFAULT 0 CHECK (virtual_success_pct BETWEEN 0 AND 100),
  daily_special       INTEGER NOT NULL DEFAULT 0,
  weekly_deal         INTEGER NOT NULL DEFAULT 0,
  status              TEXT NOT NULL CHECK (status IN ('pending_approval', 'active', 'paused', 'rejected', 'ended')),
  usage_month         TEXT NOT NULL,                 -- "2025-06" in the tenant's zone, the month it counts against
  billable            INTEGER NOT NULL DEFAULT 0, -- beyond the month's included campaigns: usage is recorded
  usage_recorded_at   TIMESTAMP,                   -- when RecordUsage succeeded, for billable campaigns
  usage_lease_until   TIMESTAMP,                   -- a RecordUsage call in flight
  created_at          TIMESTAMP NOT NULL,
  created_by          TEXT NOT NULL DEFAULT '',
  updated_at          TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  CHECK (ends_at > starts_at)
);
CREATE INDEX groupbuy_campaigns_sku ON groupbuy_campaigns (tenant_id, shop_id, sku_id, status);
CREATE INDEX groupbuy_campaigns_product ON groupbuy_campaigns (tenant_id, product_id, status);
CREATE INDEX groupbuy_campaigns_status ON groupbuy_campaigns (tenant_id, status);
CREATE INDEX groupbuy_campaigns_shop ON groupbuy_campaigns (tenant_id, shop_id, created_at);
CREATE INDEX groupbuy_campaigns_usage_due ON groupbuy_campaigns (tenant_id, shop_id) WHERE billable = 1 AND usage_recorded_at IS NULL;

-- A group: opened by its leader's order, open once the leader has paid,
-- succeeded when group_size members have paid before expires_at.
CREATE TABLE groupbuy_groups (
  tenant_id          TEXT NOT NULL,
  id                 TEXT NOT NULL,
  shop_id            TEXT NOT NULL,
  region_id          TEXT NOT NULL DEFAULT '',
  campaign_id        TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status IN ('pending', 'open', 'succeeded', 'failed', 'cancelled')),
  leader_customer_id TEXT NOT NULL,
  group_size         INTEGER NOT NULL CHECK (group_size BETWEEN 2 AND 50),
  opened_at          TIMESTAMP NOT NULL,
  expires_at         TIMESTAMP,
  finished_at        TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, campaign_id) REFERENCES groupbuy_campaigns (tenant_id, id)
);
CREATE INDEX groupbuy_groups_due ON groupbuy_groups (tenant_id, status, expires_at);
CREATE INDEX groupbuy_groups_campaign ON groupbuy_groups (tenant_id, campaign_id, status);

-- A member: one order's line(s) of one campaign in one group. position
-- orders the members for leader succession. action is the host call the
-- member still needs (release its hold, cancel its unpaid order, cancel
-- and refund its paid order); action_done_at is set only once the host
-- has answered, so a failed call is made again by the next event or run.
CREATE TABLE groupbuy_members (
  tenant_id          TEXT NOT NULL,
  id                 TEXT NOT NULL,
  group_id           TEXT NOT NULL,
  campaign_id        TEXT NOT NULL,
  shop_id            TEXT NOT NULL,
  region_id          TEXT NOT NULL DEFAULT '',
  customer_id        TEXT NOT NULL,
  order_id           TEXT NOT NULL,
  sku_id             TEXT NOT NULL,
  quantity           INTEGER NOT NULL CHECK (quantity >= 1),
  unit_price_fen     INTEGER NOT NULL DEFAULT 0,
  total_fen          INTEGER NOT NULL DEFAULT 0,
  line_attrs         TEXT NOT NULL DEFAULT '{}',     -- the line's attributes as a JSON object
  role               TEXT NOT NULL CHECK (role IN ('leader', 'member')),
  status             TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'left', 'refunded')),
  invited_by         TEXT NOT NULL DEFAULT '',
  position           INTEGER NOT NULL,
  hold_id            TEXT NOT NULL DEFAULT '',
  joined_at          TIMESTAMP NOT NULL,
  paid_at            TIMESTAMP,
  left_at            TIMESTAMP,
  action             TEXT NOT NULL DEFAULT '' CHECK (action IN ('', 'release', 'cancel', 'refund')),
  action_key         TEXT NOT NULL DEFAULT '',
  action_done_at     TIMESTAMP,
  action_lease_until TIMESTAMP,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, order_id, campaign_id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES groupbuy_groups (tenant_id, id)
);
CREATE INDEX groupbuy_members_group ON groupbuy_members (tenant_id, group_id, position);
CREATE INDEX groupbuy_members_customer ON groupbuy_members (tenant_id, customer_id, campaign_id);
CREATE INDEX groupbuy_members_action_due ON groupbuy_members (tenant_id, shop_id) WHERE action <> '' AND action_done_at IS NULL;

-- Events already applied: the row is written in the transaction of the
-- event's effects, so a second delivery changes nothing.
CREATE TABLE groupbuy_processed_events (
  tenant_id    TEXT NOT NULL,
  event_id     TEXT NOT NULL,
  event_type   TEXT NOT NULL,
  processed_at TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX groupbuy_processed_events_age ON groupbuy_processed_events (tenant_id, processed_at);

-- Invite rebates: a coupon for the shopper who invited a member of a group
-- that succeeded, one per inviter and group. pending_order_id is the order
-- placed with it, used_order_id the order paid with it.
CREATE TABLE groupbuy_coupons (
  tenant_id        TEXT NOT NULL,
  id               TEXT NOT NULL,
  shop_id          TEXT NOT NULL,
  customer_id      TEXT NOT NULL,
  code             TEXT NOT NULL,
  amount_fen       INTEGER NOT NULL CHECK (amount_fen > 0),
  min_spend_fen    INTEGER NOT NULL CHECK (min_spend_fen >= 0),
  from_group_id    TEXT NOT NULL,
  pending_order_id TEXT NOT NULL DEFAULT '',
  used_order_id    TEXT NOT NULL DEFAULT '',
  used_at          TIMESTAMP,
  created_at       TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code),
  UNIQUE (tenant_id, from_group_id, customer_id)
);
CREATE INDEX groupbuy_coupons_unused ON groupbuy_coupons (tenant_id, shop_id, customer_id) WHERE used_order_id = '';
CREATE INDEX groupbuy_coupons_pending ON groupbuy_coupons (tenant_id, pending_order_id) WHERE pending_order_id <> '';
CREATE INDEX groupbuy_coupons_used ON groupbuy_coupons (tenant_id, used_order_id) WHERE used_order_id <> '';

-- Campaigns a shop created per month: included ones (the onboarding gift)
-- and extra ones (recorded as usage).
CREATE TABLE groupbuy_campaign_usage (
  tenant_id     TEXT NOT NULL,
  shop_id       TEXT NOT NULL,
  month         TEXT NOT NULL,
  included_used INTEGER NOT NULL DEFAULT 0 CHECK (included_used >= 0),
  extra_used    INTEGER NOT NULL DEFAULT 0 CHECK (extra_used >= 0),
  PRIMARY KEY (tenant_id, shop_id, month)
);
