-- Group buying (拼团): a shop's campaigns, the groups shoppers open and
-- join, their members (one per order), the events already applied, the
-- invite-rebate coupons and each shop's campaigns per month.
--
-- Every table carries tenant_id and every query filters on it. Ids of the
-- host (tenant, shop, region, product, SKU, customer, order, hold) are
-- opaque text. Money is bigint fen.

-- A campaign: one SKU of one shop sold at a group price for a window.
-- sold counts paid units; pending_qty counts units of members who have
-- placed their order and not paid yet. Both change only with relative
-- UPDATEs (sold = sold + n) inside the event's transaction.
CREATE TABLE groupbuy_campaigns (
  tenant_id           text NOT NULL,
  id                  text NOT NULL,
  shop_id             text NOT NULL,
  region_id           text NOT NULL DEFAULT '',
  product_id          text NOT NULL,
  sku_id              text NOT NULL,
  title               text NOT NULL,
  image_url           text NOT NULL DEFAULT '',
  group_price_fen     bigint NOT NULL CHECK (group_price_fen > 0),
  leader_price_fen    bigint NOT NULL CHECK (leader_price_fen > 0 AND leader_price_fen <= group_price_fen),
  regular_price_fen   bigint NOT NULL CHECK (regular_price_fen > group_price_fen),
  group_size          integer NOT NULL CHECK (group_size BETWEEN 2 AND 50),
  fill_hours          integer NOT NULL CHECK (fill_hours BETWEEN 1 AND 72),
  starts_at           timestamptz NOT NULL,
  ends_at             timestamptz NOT NULL,
  per_shopper_limit   integer NOT NULL CHECK (per_shopper_limit >= 1),
  quota               bigint NOT NULL CHECK (quota >= 1),
  sold                bigint NOT NULL DEFAULT 0,
  pending_qty         bigint NOT NULL DEFAULT 0,
  solo_allowed        boolean NOT NULL DEFAULT true,
  virtual_success_pct integer NOT NULL DEFAULT 0 CHECK (virtual_success_pct BETWEEN 0 AND 100),
  daily_special       boolean NOT NULL DEFAULT false,
  weekly_deal         boolean NOT NULL DEFAULT false,
  status              text NOT NULL CHECK (status IN ('pending_approval', 'active', 'paused', 'rejected', 'ended')),
  usage_month         text NOT NULL,                 -- "2025-06" in the tenant's zone, the month it counts against
  billable            boolean NOT NULL DEFAULT false, -- beyond the month's included campaigns: usage is recorded
  usage_recorded_at   timestamptz,                   -- when RecordUsage succeeded, for billable campaigns
  usage_lease_until   timestamptz,                   -- a RecordUsage call in flight
  created_at          timestamptz NOT NULL,
  created_by          text NOT NULL DEFAULT '',
  updated_at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  CHECK (ends_at > starts_at)
);
CREATE INDEX groupbuy_campaigns_sku ON groupbuy_campaigns (tenant_id, shop_id, sku_id, status);
CREATE INDEX groupbuy_campaigns_product ON groupbuy_campaigns (tenant_id, product_id, status);
CREATE INDEX groupbuy_campaigns_status ON groupbuy_campaigns (tenant_id, status);
CREATE INDEX groupbuy_campaigns_shop ON groupbuy_campaigns (tenant_id, shop_id, created_at);
CREATE INDEX groupbuy_campaigns_usage_due ON groupbuy_campaigns (tenant_id, shop_id) WHERE billable AND usage_recorded_at IS NULL;

-- A group: opened by its leader's order, open once the leader has paid,
-- succeeded when group_size members have paid before expires_at.
CREATE TABLE groupbuy_groups (
  tenant_id          text NOT NULL,
  id                 text NOT NULL,
  shop_id            text NOT NULL,
  region_id          text NOT NULL DEFAULT '',
  campaign_id        text NOT NULL,
  status             text NOT NULL CHECK (status IN ('pending', 'open', 'succeeded', 'failed', 'cancelled')),
  leader_customer_id text NOT NULL,
  group_size         integer NOT NULL CHECK (group_size BETWEEN 2 AND 50),
  opened_at          timestamptz NOT NULL,
  expires_at         timestamptz,
  finished_at        timestamptz,
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
  tenant_id          text NOT NULL,
  id                 text NOT NULL,
  group_id           text NOT NULL,
  campaign_id        text NOT NULL,
  shop_id            text NOT NULL,
  region_id          text NOT NULL DEFAULT '',
  customer_id        text NOT NULL,
  order_id           text NOT NULL,
  sku_id             text NOT NULL,
  quantity           integer NOT NULL CHECK (quantity >= 1),
  unit_price_fen     bigint NOT NULL DEFAULT 0,
  total_fen          bigint NOT NULL DEFAULT 0,
  line_attrs         text NOT NULL DEFAULT '{}',     -- the line's attributes as a JSON object
  role               text NOT NULL CHECK (role IN ('leader', 'member')),
  status             text NOT NULL CHECK (status IN ('pending', 'paid', 'left', 'refunded')),
  invited_by         text NOT NULL DEFAULT '',
  position           integer NOT NULL,
  hold_id            text NOT NULL DEFAULT '',
  joined_at          timestamptz NOT NULL,
  paid_at            timestamptz,
  left_at            timestamptz,
  action             text NOT NULL DEFAULT '' CHECK (action IN ('', 'release', 'cancel', 'refund')),
  action_key         text NOT NULL DEFAULT '',
  action_done_at     timestamptz,
  action_lease_until timestamptz,
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
  tenant_id    text NOT NULL,
  event_id     text NOT NULL,
  event_type   text NOT NULL,
  processed_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX groupbuy_processed_events_age ON groupbuy_processed_events (tenant_id, processed_at);

-- Invite rebates: a coupon for the shopper who invited a member of a group
-- that succeeded, one per inviter and group. pending_order_id is the order
-- placed with it, used_order_id the order paid with it.
CREATE TABLE groupbuy_coupons (
  tenant_id        text NOT NULL,
  id               text NOT NULL,
  shop_id          text NOT NULL,
  customer_id      text NOT NULL,
  code             text NOT NULL,
  amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
  min_spend_fen    bigint NOT NULL CHECK (min_spend_fen >= 0),
  from_group_id    text NOT NULL,
  pending_order_id text NOT NULL DEFAULT '',
  used_order_id    text NOT NULL DEFAULT '',
  used_at          timestamptz,
  created_at       timestamptz NOT NULL,
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
  tenant_id     text NOT NULL,
  shop_id       text NOT NULL,
  month         text NOT NULL,
  included_used integer NOT NULL DEFAULT 0 CHECK (included_used >= 0),
  extra_used    integer NOT NULL DEFAULT 0 CHECK (extra_used >= 0),
  PRIMARY KEY (tenant_id, shop_id, month)
);
