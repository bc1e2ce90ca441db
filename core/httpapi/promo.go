package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
)

func init() { registrations = append(registrations, registerPromo) }

// decodePromo decodes a JSON body like httpx.Decode, but a value of the
// wrong type (a fractional amount in fen, a quoted number) is a field
// error on that field rather than a malformed request.
func decodePromo(r *http.Request, v any) error {
	err := httpx.Decode(r, v)
	var ute *json.UnmarshalTypeError
	if err != nil && errors.As(err, &ute) && ute.Field != "" {
		var fe core.FieldErrors
		key := "field.invalid"
		switch ute.Type.Kind() {
		case reflect.Int, reflect.Int64:
			key = "promo.field.integer"
		}
		fe.Add(ute.Field, key)
		return fe.Err()
	}
	return err
}

// crud are the five handlers of one kind of record under a list path.
type crud struct {
	list   func(r *http.Request, pg merchant.Page) (any, error)
	get    func(r *http.Request) (any, error)
	create func(r *http.Request) (any, error)
	update func(r *http.Request) (any, error)
	remove func(r *http.Request) error
}

// mount registers c's routes at base (the list) and base/{item}.
func (c crud) mount(rt *httpx.Router, perm string, resource bool, base, key, item string) {
	h := func(method, path string, f http.HandlerFunc) {
		rt.Handle(httpx.Route{Method: method, Path: path, Perm: perm, Resource: resource, Handler: f})
	}
	h("GET", base, func(w http.ResponseWriter, r *http.Request) {
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		v, err := c.list(r, fetch(pg))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		items := reflect.ValueOf(v)
		more := items.Len() > pg.Limit
		if more {
			items = items.Slice(0, pg.Limit)
		}
		httpx.JSON(w, http.StatusOK, map[string]any{key: items.Interface(), "limit": pg.Limit, "offset": pg.Offset, "has_more": more})
	})
	h("POST", base, func(w http.ResponseWriter, r *http.Request) {
		v, err := c.create(r)
		reply(w, r, http.StatusCreated, v, err)
	})
	h("GET", base+"/{"+item+"}", func(w http.ResponseWriter, r *http.Request) {
		v, err := c.get(r)
		reply(w, r, http.StatusOK, v, err)
	})
	if c.update != nil {
		h("PUT", base+"/{"+item+"}", func(w http.ResponseWriter, r *http.Request) {
			v, err := c.update(r)
			reply(w, r, http.StatusOK, v, err)
		})
	}
	h("DELETE", base+"/{"+item+"}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, http.StatusNoContent, nil, c.remove(r))
	})
}

// body decodes the request into a new In.
func body[In any](r *http.Request) (In, error) {
	var in In
	err := decodePromo(r, &in)
	return in, err
}

// registerPromo mounts the promotions API: a shop's promotions, coupons,
// flash sales (promo:manage) and price lists (price:manage) in the
// merchant console, checked in the shop's domain; the tenant's
// promotions and coupons (promo:platform) and customer groups
// (customer:manage) in the admin console; and a shop's running
// promotions for its storefront.
func registerPromo(rt *httpx.Router, a *app.App) {
	p := principal
	shop := func(r *http.Request) string { return r.PathValue("id") }

	promotions := func(shopOf func(*http.Request) string, item string) crud {
		return crud{
			list: func(r *http.Request, pg merchant.Page) (any, error) {
				return a.Promo.Promotions(r.Context(), p(r), shopOf(r), pg)
			},
			get: func(r *http.Request) (any, error) {
				return a.Promo.Promotion(r.Context(), p(r), shopOf(r), r.PathValue(item))
			},
			create: func(r *http.Request) (any, error) {
				in, err := body[promo.PromotionInput](r)
				if err != nil {
					return nil, err
				}
				return a.Promo.CreatePromotion(r.Context(), p(r), shopOf(r), in)
			},
			update: func(r *http.Request) (any, error) {
				in, err := body[promo.PromotionInput](r)
				if err != nil {
					return nil, err
				}
				return a.Promo.UpdatePromotion(r.Context(), p(r), shopOf(r), r.PathValue(item), in)
			},
			remove: func(r *http.Request) error {
				return a.Promo.DeletePromotion(r.Context(), p(r), shopOf(r), r.PathValue(item))
			},
		}
	}
	coupons := func(shopOf func(*http.Request) string, item string) crud {
		return crud{
			list: func(r *http.Request, pg merchant.Page) (any, error) {
				return a.Promo.Coupons(r.Context(), p(r), shopOf(r), pg)
			},
			get: func(r *http.Request) (any, error) {
				return a.Promo.Coupon(r.Context(), p(r), shopOf(r), r.PathValue(item))
			},
			create: func(r *http.Request) (any, error) {
				in, err := body[promo.CouponInput](r)
				if err != nil {
					return nil, err
				}
				return a.Promo.CreateCoupon(r.Context(), p(r), shopOf(r), in)
			},
			update: func(r *http.Request) (any, error) {
				in, err := body[promo.CouponInput](r)
				if err != nil {
					return nil, err
				}
				return a.Promo.UpdateCoupon(r.Context(), p(r), shopOf(r), r.PathValue(item), in)
			},
			remove: func(r *http.Request) error {
				return a.Promo.DeleteCoupon(r.Context(), p(r), shopOf(r), r.PathValue(item))
			},
		}
	}
	tenant := func(*http.Request) string { return "" }

	m := "/api/v1/merchant/shops/{id}"
	promotions(shop, "promotion").mount(rt, promo.PermManage, true, m+"/promotions", "promotions", "promotion")
	coupons(shop, "coupon").mount(rt, promo.PermManage, true, m+"/coupons", "coupons", "coupon")
	crud{
		list: func(r *http.Request, pg merchant.Page) (any, error) {
			return a.Promo.FlashSales(r.Context(), p(r), shop(r), pg)
		},
		get: func(r *http.Request) (any, error) {
			return a.Promo.FlashSale(r.Context(), p(r), shop(r), r.PathValue("sale"))
		},
		create: func(r *http.Request) (any, error) {
			in, err := body[promo.FlashSaleInput](r)
			if err != nil {
				return nil, err
			}
			return a.Promo.CreateFlashSale(r.Context(), p(r), shop(r), in)
		},
		update: func(r *http.Request) (any, error) {
			in, err := body[promo.FlashSaleInput](r)
			if err != nil {
				return nil, err
			}
			return a.Promo.UpdateFlashSale(r.Context(), p(r), shop(r), r.PathValue("sale"), in)
		},
		remove: func(r *http.Request) error {
			return a.Promo.DeleteFlashSale(r.Context(), p(r), shop(r), r.PathValue("sale"))
		},
	}.mount(rt, promo.PermManage, true, m+"/flash-sales", "flash_sales", "sale")
	crud{
		list: func(r *http.Request, pg merchant.Page) (any, error) {
			return a.Promo.PriceLists(r.Context(), p(r), shop(r), pg)
		},
		get: func(r *http.Request) (any, error) {
			return a.Promo.PriceList(r.Context(), p(r), shop(r), r.PathValue("list"))
		},
		create: func(r *http.Request) (any, error) {
			in, err := body[promo.PriceListInput](r)
			if err != nil {
				return nil, err
			}
			return a.Promo.CreatePriceList(r.Context(), p(r), shop(r), in)
		},
		update: func(r *http.Request) (any, error) {
			in, err := body[promo.PriceListInput](r)
			if err != nil {
				return nil, err
			}
			return a.Promo.UpdatePriceList(r.Context(), p(r), shop(r), r.PathValue("list"), in)
		},
		remove: func(r *http.Request) error {
			return a.Promo.DeletePriceList(r.Context(), p(r), shop(r), r.PathValue("list"))
		},
	}.mount(rt, promo.PermPrices, true, m+"/price-lists", "price_lists", "list")
	rt.Handle(httpx.Route{Method: "GET", Path: m + "/customer-groups", Perm: promo.PermPrices, Resource: true,
		Handler: func(w http.ResponseWriter, r *http.Request) {
			pg, err := page(r)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			gs, err := a.Promo.ShopGroups(r.Context(), p(r), shop(r), fetch(pg))
			paged(w, r, "customer_groups", pg, gs, err)
		}})

	// The tenant's own, funded by the platform.
	promotions(tenant, "id").mount(rt, promo.PermPlatform, false, "/api/v1/admin/promotions", "promotions", "id")
	coupons(tenant, "id").mount(rt, promo.PermPlatform, false, "/api/v1/admin/coupons", "coupons", "id")
	crud{
		list: func(r *http.Request, pg merchant.Page) (any, error) {
			return a.Promo.Groups(r.Context(), p(r), pg)
		},
		get: func(r *http.Request) (any, error) {
			return a.Promo.Group(r.Context(), p(r), r.PathValue("id"))
		},
		create: func(r *http.Request) (any, error) {
			in, err := body[promo.GroupInput](r)
			if err != nil {
				return nil, err
			}
			return a.Promo.CreateGroup(r.Context(), p(r), in)
		},
		update: func(r *http.Request) (any, error) {
			in, err := body[promo.GroupInput](r)
			if err != nil {
				return nil, err
			}
			return a.Promo.UpdateGroup(r.Context(), p(r), r.PathValue("id"), in)
		},
		remove: func(r *http.Request) error {
			return a.Promo.DeleteGroup(r.Context(), p(r), r.PathValue("id"))
		},
	}.mount(rt, promo.PermCustomers, false, "/api/v1/admin/customer-groups", "customer_groups", "id")
	members := "/api/v1/admin/customer-groups/{id}/members"
	rt.Handle(httpx.Route{Method: "GET", Path: members, Perm: promo.PermCustomers, Handler: func(w http.ResponseWriter, r *http.Request) {
		pg, err := page(r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		ms, err := a.Promo.Members(r.Context(), p(r), r.PathValue("id"), fetch(pg))
		paged(w, r, "members", pg, ms, err)
	}})
	rt.Handle(httpx.Route{Method: "POST", Path: members, Perm: promo.PermCustomers, Handler: func(w http.ResponseWriter, r *http.Request) {
		in, err := body[promo.MemberInput](r)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		mb, err := a.Promo.AddMember(r.Context(), p(r), r.PathValue("id"), in)
		reply(w, r, http.StatusCreated, mb, err)
	}})
	rt.Handle(httpx.Route{Method: "DELETE", Path: members + "/{user}", Perm: promo.PermCustomers, Handler: func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, http.StatusNoContent, nil, a.Promo.RemoveMember(r.Context(), p(r), r.PathValue("id"), r.PathValue("user")))
	}})

	// The storefront: what runs in a shop now.
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/shops/{slug}/promotions", Public: true, Handler: func(w http.ResponseWriter, r *http.Request) {
		o, err := a.Promo.Offers(r.Context(), r.PathValue("slug"))
		reply(w, r, http.StatusOK, o, err)
	}})
}
