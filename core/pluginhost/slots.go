package pluginhost

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

// defaultSlotDeadline bounds a SlotContent call whose slot declares none.
const defaultSlotDeadline = 150 * time.Millisecond

// maxSlotItems bounds the items one plugin puts in one slot.
const maxSlotItems = 10

// SlotItem is one piece of content for a slot, checked: text only, links
// and images on this host or https.
type SlotItem struct {
	Plugin                string
	Title, Text, Badge    string
	PriceFen, OriginalFen int64
	HasPrice, HasOriginal bool
	ImageURL, Link        string
	EndsAt                time.Time
}

// SlotRequest asks for a slot's content on one page.
type SlotRequest struct {
	Call       Call // Tenant, RegionID and ShopID of the shop whose page it is
	Slot       string
	ProductID  string
	CustomerID string
	Page       map[string]string
}

type slotEntry struct {
	items []SlotItem
	until time.Time
}

type slotCache struct {
	mu sync.Mutex
	m  map[string]slotEntry
}

var slotCaches sync.Map // *Host → *slotCache

func (h *Host) slotCache() *slotCache {
	v, _ := slotCaches.LoadOrStore(h, &slotCache{m: map[string]slotEntry{}})
	return v.(*slotCache)
}

// Slot asks every plugin that is active for the shop and declares slot for
// its content, at once, each under the slot's deadline; a plugin that
// fails or is late leaves its part empty. Answers are cached for the
// seconds the plugin allows.
func (h *Host) Slot(ctx context.Context, req SlotRequest) []SlotItem {
	up, _, err := h.targets(ctx, nil, req.Call, pluginv1.HookName_HOOK_NAME_SLOT_CONTENT)
	if err != nil || len(up) == 0 {
		return nil
	}
	cache := h.slotCache()
	results := make([][]SlotItem, len(up))
	var wg sync.WaitGroup
	for i, tg := range up {
		k := slices.IndexFunc(tg.manifest.GetSlots(), func(s *pluginv1.SlotSpec) bool { return s.GetName() == req.Slot })
		if k < 0 {
			continue
		}
		spec := tg.manifest.GetSlots()[k]
		key := strings.Join([]string{tg.name, req.Call.Tenant.ID, req.Call.ShopID, req.Slot, req.ProductID, req.CustomerID}, "|")
		cache.mu.Lock()
		e, ok := cache.m[key]
		cache.mu.Unlock()
		if ok && h.now().Before(e.until) {
			results[i] = e.items
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := defaultSlotDeadline
			if spec.GetDeadlineMs() > 0 {
				d = time.Duration(spec.GetDeadlineMs()) * time.Millisecond
			}
			tg.spec = &pluginv1.HookSpec{Name: pluginv1.HookName_HOOK_NAME_SLOT_CONTENT, DeadlineMs: uint32(d / time.Millisecond)}
			var res *pluginv1.SlotContentResponse
			err := h.invoke(ctx, tg, d, func(ctx context.Context) error {
				dl, _ := ctx.Deadline()
				var err error
				res, err = tg.client.SlotContent(ctx, &pluginv1.SlotContentRequest{
					Tenant: h.tenantContext(tg.name, tg.manifest, tg.resolved, req.Call, "slot_content", dl),
					Slot:   req.Slot, ProductId: req.ProductID, CustomerId: req.CustomerID, Page: req.Page,
				})
				return err
			})
			if err != nil {
				h.logger().Debug("plugin slot left empty", "plugin", tg.name, "slot", req.Slot, "error", err)
				return
			}
			items := checkSlotItems(tg.name, res.GetItems())
			results[i] = items
			if s := res.GetCacheSeconds(); s > 0 {
				cache.mu.Lock()
				if len(cache.m) > 10000 {
					clear(cache.m)
				}
				cache.m[key] = slotEntry{items: items, until: h.now().Add(time.Duration(min(s, 300)) * time.Second)}
				cache.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var out []SlotItem
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// checkSlotItems keeps at most maxSlotItems items and drops links and
// images that leave the host (other than https images).
func checkSlotItems(plugin string, in []*pluginv1.SlotItem) []SlotItem {
	var out []SlotItem
	for _, it := range in {
		if len(out) == maxSlotItems {
			break
		}
		s := SlotItem{Plugin: plugin, Title: clip(it.GetTitle(), 80), Text: clip(it.GetText(), 400), Badge: clip(it.GetBadge(), 20),
			Link: localPath(it.GetLink())}
		if it.PriceFen != nil && it.GetPriceFen() >= 0 {
			s.PriceFen, s.HasPrice = it.GetPriceFen(), true
		}
		if it.OriginalPriceFen != nil && it.GetOriginalPriceFen() >= 0 {
			s.OriginalFen, s.HasOriginal = it.GetOriginalPriceFen(), true
		}
		if img := it.GetImageUrl(); localPath(img) != "" {
			s.ImageURL = img
		} else if u, err := url.Parse(img); err == nil && u.Scheme == "https" && u.Host != "" {
			s.ImageURL = img
		}
		if it.GetEndsAt() != nil {
			s.EndsAt = it.GetEndsAt().AsTime()
		}
		out = append(out, s)
	}
	return out
}

// localPath returns p when it is a path on this host, else "".
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return ""
	}
	return p
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
