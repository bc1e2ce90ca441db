package adminui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/dispatch"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
)

// registerDispatch mounts the merchant console's daily dispatch: the
// day's batch with links to the CSV, the pick list and the labels, and
// the batch ship form; the pick list and the labels are print pages of
// their own (no console chrome; @media print, one label per A6 page).
// Every route is a Resource route: the dispatch service checks
// order:manage in the shop's domain.
func (u *ui) registerDispatch(rt *httpx.Router) {
	h := func(method, path string, fn http.HandlerFunc) {
		rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: method, Path: path, Perm: dispatch.PermManage, Resource: true, Handler: fn})
	}
	h("GET", "/merchant/shops/{id}/dispatch", u.dispatchPage)
	h("POST", "/merchant/shops/{id}/dispatch/ship", u.dispatchShip)
	h("GET", "/merchant/shops/{id}/dispatch/pick-list", u.pickListPage)
	h("GET", "/merchant/shops/{id}/dispatch/labels", u.labelsPage)
}

// dispatchRow is one order of the dispatch page; its ship inputs are
// "orders" (the check box, value the order id) and "tracking_{id}".
type dispatchRow struct {
	*dispatch.Order
	Method      string
	Destination string
	Items       string
	Total       string
	Tracking    string // the tracking number's input name
}

// dispatchData is the dispatch page of a shop and day.
type dispatchData struct {
	Shop                 *merchant.Shop
	Batch                *dispatch.Batch
	From, To             string
	Prev, Next, Today    string
	Rows                 []dispatchRow
	Total                string
	CSV, PickList, Label string
	Report               *dispatch.ShipReport
}

// dayLinks returns the days before and after date ("" when date does
// not parse).
func dayLinks(date string) (prev, next string) {
	d, err := time.Parse(dispatch.DateLayout, date)
	if err != nil {
		return "", ""
	}
	return d.AddDate(0, 0, -1).Format(dispatch.DateLayout), d.AddDate(0, 0, 1).Format(dispatch.DateLayout)
}

// renderDispatch shows the batch of shop shopID on the request's date
// (?date= or the form's date), the ship form f and the report rep.
func (u *ui) renderDispatch(w http.ResponseWriter, r *http.Request, status int, date string, f *web.Form, rep *dispatch.ShipReport) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	b, err := u.a.Dispatch.Batch(ctx, p, r.PathValue("id"), date)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.a.Dispatch.ShopFor(ctx, p, b.ShopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	loc := tenants.MustFromContext(ctx).Location()
	d := &dispatchData{Shop: sh, Batch: b, From: b.From.In(loc).Format("01-02 15:04"), To: b.To.In(loc).Format("01-02 15:04"),
		Today: u.a.Dispatch.Today(ctx), Total: yuan(b.TotalFen), Report: rep}
	d.Prev, d.Next = dayLinks(b.Date)
	q := "?date=" + b.Date
	d.CSV = "/api/v1/merchant/shops/" + sh.ID + "/dispatch/orders.csv" + q
	d.PickList = "/merchant/shops/" + sh.ID + "/dispatch/pick-list" + q
	d.Label = "/merchant/shops/" + sh.ID + "/dispatch/labels" + q
	for _, o := range b.Orders {
		d.Rows = append(d.Rows, dispatchRow{Order: o, Method: dispatch.MethodLabel(locale, o.DeliveryMethod),
			Destination: o.Destination(locale), Items: o.LineSummary(), Total: yuan(o.TotalFen), Tracking: "tracking_" + o.ID})
	}
	if f == nil {
		f = &web.Form{}
	}
	c, _ := web.Console(ctx, u.a, p)
	pages.Render(w, r, status, "dispatch", &web.Page{
		Title: title(r, "ui.dispatch.title") + " · " + sh.Name, Area: web.AreaMerchant, Console: c.Any(), ThemeColor: sh.ThemeColor,
		Form: f, Data: d,
	})
}

func (u *ui) dispatchPage(w http.ResponseWriter, r *http.Request) {
	u.renderDispatch(w, r, http.StatusOK, r.URL.Query().Get("date"), nil, nil)
}

// dispatchShip marks the checked orders shipped with the courier for all
// and each order's tracking number, then shows the day again with the
// report; a bad request shows the errors next to the fields and ships
// nothing.
func (u *ui) dispatchShip(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	f := web.FormOf(r)
	date := f.Get("date")
	in := dispatch.ShipInput{Courier: f.Get("courier")}
	for _, id := range f.Values["orders"] {
		in.Orders = append(in.Orders, dispatch.ShipOrder{OrderID: id, TrackingNo: f.Get("tracking_" + id)})
	}
	rep, err := u.a.Dispatch.Ship(ctx, p, r.PathValue("id"), in)
	if err != nil {
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
			httpx.Error(w, r, err)
			return
		}
		// The service names fields by position; the form by order.
		errs := map[string]string{}
		for k, msg := range f.Errors {
			i, field, ok := strings.Cut(strings.TrimPrefix(k, "orders."), ".")
			n, convErr := strconv.Atoi(i)
			switch {
			case !ok || convErr != nil || n < 0 || n >= len(in.Orders):
				errs[k] = msg
			case field == "tracking_no":
				errs["tracking_"+in.Orders[n].OrderID] = msg
			case field == "courier":
				errs["courier"] = msg
			default:
				errs["orders"] = msg
			}
		}
		f.Errors = errs
		u.renderDispatch(w, r, status, date, f, nil)
		return
	}
	rep.Localize(ctx, i18n.FromContext(ctx))
	u.renderDispatch(w, r, http.StatusOK, date, &web.Form{}, rep)
}

// printData is a print page (pick list or labels) of a shop's day.
type printData struct {
	Shop     *merchant.Shop
	Date     string
	Back     string
	PickList *dispatch.PickList
	Labels   []*dispatch.Label
}

func (u *ui) printPage(w http.ResponseWriter, r *http.Request, name, key string, d *printData) {
	pages.Fragment(w, r, http.StatusOK, name, "print", &web.Page{
		Title: title(r, key) + " · " + d.Shop.Name + " · " + d.Date, Area: web.AreaMerchant, Data: d,
	})
}

func (u *ui) pickListPage(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	pl, err := u.a.Dispatch.PickList(ctx, p, r.PathValue("id"), r.URL.Query().Get("date"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.a.Dispatch.ShopFor(ctx, p, pl.ShopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	u.printPage(w, r, "dispatch_picklist", "ui.dispatch.pick_list", &printData{Shop: sh, Date: pl.Date, PickList: pl,
		Back: "/merchant/shops/" + sh.ID + "/dispatch?date=" + pl.Date})
}

func (u *ui) labelsPage(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	b, err := u.a.Dispatch.Batch(ctx, p, r.PathValue("id"), r.URL.Query().Get("date"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sh, err := u.a.Dispatch.ShopFor(ctx, p, b.ShopID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ls, err := dispatch.Labels(b)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	u.printPage(w, r, "dispatch_labels", "ui.dispatch.labels", &printData{Shop: sh, Date: b.Date, Labels: ls,
		Back: "/merchant/shops/" + sh.ID + "/dispatch?date=" + b.Date})
}

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"ui.dispatch.title":         "每日发货",
		"ui.dispatch.day":           "发货日期",
		"ui.dispatch.show":          "查看",
		"ui.dispatch.prev":          "前一天",
		"ui.dispatch.next":          "后一天",
		"ui.dispatch.today":         "今天",
		"ui.dispatch.window":        "截单时间 %s：统计 %s 之后至 %s 之前（含）下单、已付款待发货的订单",
		"ui.dispatch.summary":       "%d 个订单，合计 %s",
		"ui.dispatch.csv":           "导出订单 CSV",
		"ui.dispatch.pick_list":     "拣货单",
		"ui.dispatch.labels":        "打印面单",
		"ui.dispatch.held":          "暂扣中的订单（不在本批次）",
		"ui.dispatch.none":          "这一天没有待发货的订单",
		"ui.dispatch.select":        "选择",
		"ui.dispatch.number":        "订单号",
		"ui.dispatch.placed":        "下单时间",
		"ui.dispatch.recipient":     "收货人",
		"ui.dispatch.destination":   "地址/自提点",
		"ui.dispatch.method":        "配送",
		"ui.dispatch.items":         "商品",
		"ui.dispatch.total":         "实付",
		"ui.dispatch.tracking":      "运单号",
		"ui.dispatch.courier":       "快递公司",
		"ui.dispatch.courier_hint":  "所选订单都交这家快递，如顺丰、京东、邮政",
		"ui.dispatch.ship":          "标记所选订单已发货",
		"ui.dispatch.report":        "发货结果：%d 个已发货，%d 个未发货",
		"ui.dispatch.shipped":       "已发货",
		"ui.dispatch.not_shipped":   "未发货",
		"ui.dispatch.print_hint":    "用浏览器的打印（Ctrl+P）打印，每张面单一页（A6）。",
		"ui.dispatch.back":          "返回发货页",
		"ui.dispatch.to":            "收",
		"ui.dispatch.from":          "寄",
		"ui.dispatch.promise":       "承诺",
		"ui.dispatch.trace":         "溯源",
		"ui.dispatch.harvested":     "采收",
		"ui.dispatch.best_before":   "保质至",
		"ui.dispatch.warehouse":     "仓库",
		"ui.dispatch.unallocated":   "未分配批次",
		"ui.dispatch.sku":           "规格编码",
		"ui.dispatch.qty":           "数量",
		"ui.dispatch.lots":          "批次（先进先出）",
		"ui.dispatch.orders":        "订单",
		"ui.dispatch.units":         "共 %d 件",
		"ui.dispatch.labels_count":  "共 %d 张面单",
		"ui.dispatch.no_labels":     "这一天没有要打印的面单",
		"ui.dispatch.received":      "入库",
		"ui.dispatch.pickup_point":  "自提点",
		"ui.dispatch.shop_dispatch": "每日发货",
	})
	i18n.Add(i18n.EN, map[string]string{
		"ui.dispatch.title":         "Daily dispatch",
		"ui.dispatch.day":           "Dispatch day",
		"ui.dispatch.show":          "Show",
		"ui.dispatch.prev":          "Day before",
		"ui.dispatch.next":          "Day after",
		"ui.dispatch.today":         "Today",
		"ui.dispatch.window":        "Cut-off %s: paid orders waiting to ship, placed after %s up to %s",
		"ui.dispatch.summary":       "%d orders, %s in all",
		"ui.dispatch.csv":           "Export orders as CSV",
		"ui.dispatch.pick_list":     "Pick list",
		"ui.dispatch.labels":        "Print labels",
		"ui.dispatch.held":          "Orders on hold (not in this batch)",
		"ui.dispatch.none":          "No orders wait to ship on this day",
		"ui.dispatch.select":        "Select",
		"ui.dispatch.number":        "Order",
		"ui.dispatch.placed":        "Placed",
		"ui.dispatch.recipient":     "Recipient",
		"ui.dispatch.destination":   "Address / pickup point",
		"ui.dispatch.method":        "Delivery",
		"ui.dispatch.items":         "Items",
		"ui.dispatch.total":         "Total",
		"ui.dispatch.tracking":      "Tracking number",
		"ui.dispatch.courier":       "Courier",
		"ui.dispatch.courier_hint":  "The selected orders all go with this courier, e.g. SF Express, JD, China Post",
		"ui.dispatch.ship":          "Mark the selected orders shipped",
		"ui.dispatch.report":        "Shipping: %d shipped, %d not shipped",
		"ui.dispatch.shipped":       "Shipped",
		"ui.dispatch.not_shipped":   "Not shipped",
		"ui.dispatch.print_hint":    "Print with the browser (Ctrl+P): one label per A6 page.",
		"ui.dispatch.back":          "Back to dispatch",
		"ui.dispatch.to":            "To",
		"ui.dispatch.from":          "From",
		"ui.dispatch.promise":       "Promise",
		"ui.dispatch.trace":         "Traceability",
		"ui.dispatch.harvested":     "harvested",
		"ui.dispatch.best_before":   "best before",
		"ui.dispatch.warehouse":     "Warehouse",
		"ui.dispatch.unallocated":   "Not allocated to a lot",
		"ui.dispatch.sku":           "SKU code",
		"ui.dispatch.qty":           "Qty",
		"ui.dispatch.lots":          "Lots (first in, first out)",
		"ui.dispatch.orders":        "Orders",
		"ui.dispatch.units":         "%d units",
		"ui.dispatch.labels_count":  "%d labels",
		"ui.dispatch.no_labels":     "No labels to print on this day",
		"ui.dispatch.received":      "received",
		"ui.dispatch.pickup_point":  "Pickup point",
		"ui.dispatch.shop_dispatch": "Daily dispatch",
	})
}
