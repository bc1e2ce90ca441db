package groupbuy

import (
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Names the manifest declares.
const (
	// Name is the plugin's name; its routes live under /p/groupbuy.
	Name = "groupbuy"
	// Version is the plugin's release.
	Version = "0.1.0"
	// JobExpireGroups settles groups past their deadline.
	JobExpireGroups = "expire-groups"
	// SlotBadge is the product badge ("3人团").
	SlotBadge = "product.badge"
	// SlotPrice is the group price beside the product's price.
	SlotPrice = "product.price"
)

// Line attributes the host's checkout carries from attr.* query parameters.
const (
	AttrCampaign = "groupbuy.campaign" // campaign id
	AttrGroup    = "groupbuy.group"    // group to join; absent opens a new group
	AttrInviter  = "groupbuy.inviter"  // customer who shared the invite link
)

// Event types the plugin subscribes to.
const (
	EventOrderPlaced    = "order.placed"
	EventOrderPaid      = "order.paid"
	EventOrderCancelled = "order.cancelled"
)

// Permissions of the admin routes.
const (
	permShop   = "promo:manage"   // a shop's promotions, checked in the shop's domain
	permTenant = "promo:platform" // the marketplace's promotions, in the tenant's domain
)

var storefront, admin = pluginv1.RouteArea_ROUTE_AREA_STOREFRONT, pluginv1.RouteArea_ROUTE_AREA_ADMIN

// routes are the HTTP routes the host proxies to HandleHTTP.
var routes = []*pluginv1.RouteSpec{
	{Method: "GET", Path: "/today", Area: storefront},
	{Method: "GET", Path: "/campaigns/{id}", Area: storefront},
	{Method: "GET", Path: "/groups/{id}", Area: storefront},

	{Method: "GET", Path: "/campaigns", Area: admin, Permission: permShop},
	{Method: "GET", Path: "/campaigns/new", Area: admin, Permission: permShop},
	{Method: "POST", Path: "/campaigns", Area: admin, Permission: permShop},
	{Method: "GET", Path: "/campaigns/{id}", Area: admin, Permission: permShop},
	{Method: "POST", Path: "/campaigns/{id}/pause", Area: admin, Permission: permShop},
	{Method: "POST", Path: "/campaigns/{id}/resume", Area: admin, Permission: permShop},

	{Method: "GET", Path: "/approvals", Area: admin, Permission: permTenant},
	{Method: "POST", Path: "/campaigns/{id}/approve", Area: admin, Permission: permTenant},
	{Method: "POST", Path: "/campaigns/{id}/reject", Area: admin, Permission: permTenant},
}

// Manifest returns what the plugin declares to the host.
func Manifest() *pluginv1.Manifest {
	hook := func(h pluginv1.HookName, ms uint32, fp pluginv1.FailurePolicy) *pluginv1.HookSpec {
		return &pluginv1.HookSpec{Name: h, DeadlineMs: ms, FailurePolicy: fp}
	}
	open := pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_OPEN
	return &pluginv1.Manifest{
		Name:        Name,
		Version:     Version,
		DisplayName: "拼团 / Group buying",
		Description: "Shops sell a product at a group price: a shopper opens a group, friends join through an invite link, " +
			"and the orders ship once the group fills in time — otherwise they are refunded. Daily specials, weekly deals " +
			"and invite rebates. 商家发起拼团，团长开团、好友参团，成团后发货，未成团自动退款。",
		Hooks: []*pluginv1.HookSpec{
			hook(pluginv1.HookName_HOOK_NAME_ADJUST_CART, 200, open),
			hook(pluginv1.HookName_HOOK_NAME_HANDLE_EVENT, 10_000, pluginv1.FailurePolicy_FAILURE_POLICY_UNSPECIFIED),
			hook(pluginv1.HookName_HOOK_NAME_RUN_JOB, 30_000, pluginv1.FailurePolicy_FAILURE_POLICY_UNSPECIFIED),
			hook(pluginv1.HookName_HOOK_NAME_HANDLE_HTTP, 5_000, pluginv1.FailurePolicy_FAILURE_POLICY_UNSPECIFIED),
			hook(pluginv1.HookName_HOOK_NAME_SLOT_CONTENT, 100, open),
		},
		EventSubscriptions: []string{EventOrderPlaced, EventOrderPaid, EventOrderCancelled},
		// Orders without a group-buy line or discount are none of its business.
		OwnOrdersOnly: true,
		Jobs: []*pluginv1.JobSpec{{
			Name:       JobExpireGroups,
			Schedule:   &pluginv1.JobSpec_Interval{Interval: durationpb.New(time.Minute)},
			DeadlineMs: 30_000,
		}},
		Routes: routes,
		Slots: []*pluginv1.SlotSpec{
			{Name: SlotBadge, DeadlineMs: 100},
			{Name: SlotPrice, DeadlineMs: 100},
		},
		SettingsSchemaJson: []byte(settingsSchema),
		HostScopes: []string{
			"catalog:read", "orders:read", "customers:read", "orders:hold",
			"orders:cancel", "orders:refund", "usage:record", "email:send",
		},
	}
}
