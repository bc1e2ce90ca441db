package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
)

const importCSV = "商品名称,分类编码,规格,售价,规格编码,状态\n"

func importLine(name, cat, spec, price, code string) string {
	return strings.Join([]string{name, cat, spec, price, code, "在售"}, ",") + "\n"
}

type importReply struct {
	catalog.Import
	Report []catalog.ImportProblem `json:"report"`
}

func (b *shopper) importCSV(status int, shopID, text string) importReply {
	b.t.Helper()
	code, body := b.upload("/api/v1/merchant/shops/"+shopID+"/imports", "text/csv", []byte(text))
	if code != status {
		b.t.Fatalf("import: want %d, got %d: %.300s", status, code, body)
	}
	var out importReply
	if status < 300 {
		if err := json.Unmarshal(body, &out); err != nil {
			b.t.Fatalf("%v: %s", err, body)
		}
	}
	return out
}

// TestHTTPImport: a small file imports at once, a bad one comes back
// failed with its report and writes nothing, a large one is queued and
// polled to done; oversized and missing files are refused; imports of
// other shops and tenants are not found.
func TestHTTPImport(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("imp-http")
		sh2, owner2 := s.openShop("imp-http-2")
		other := newMarket(t, a, h)
		osh, oowner := other.openShop("imp-http-o")
		anon := s.anonymous()

		ok := owner.importCSV(http.StatusCreated, sh.ID, importCSV+importLine("小白菜", "vegetables", "500g", "3.5", "HB-1")+
			importLine("小白菜", "vegetables", "1kg", "6", "HB-2"))
		if ok.Status != catalog.ImportDone || ok.Products != 1 || ok.SKUs != 2 || ok.Progress != 100 {
			t.Fatalf("import: %+v", ok)
		}
		var got importReply
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/imports/"+ok.ID, nil, &got)
		if got.ID != ok.ID || got.Status != catalog.ImportDone {
			t.Fatalf("read back %+v", got)
		}
		var found struct{ Products []struct{ Name string } }
		anon.want(http.StatusOK, "GET", "/api/v1/search?q=小白菜", nil, &found)
		if len(found.Products) != 1 {
			t.Fatalf("search: %+v", found)
		}

		// One bad row: nothing is written, every bad cell is reported
		// in the caller's language.
		bad := owner.importCSV(http.StatusCreated, sh.ID, importCSV+importLine("菠菜", "vegetables", "500g", "4", "")+
			importLine("芹菜", "vegetables", "500g", "abc", "")+importLine("外星菜", "mars", "500g", "4", ""))
		if bad.Status != catalog.ImportFailed || len(bad.Report) != 2 ||
			bad.Report[0].Row != 3 || bad.Report[0].Column != "售价" || bad.Report[0].Message != "请输入金额，最多两位小数，如 12.80" ||
			bad.Report[1].Row != 4 || bad.Report[1].Column != "分类编码" || bad.Report[1].Message == "" {
			t.Fatalf("report %+v", bad.Report)
		}
		var list struct{ Products []catalog.Product }
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/products", nil, &list)
		if len(list.Products) != 1 {
			t.Fatalf("%d products", len(list.Products))
		}

		// Refused files.
		code, body := owner.upload("/api/v1/merchant/shops/"+sh.ID+"/imports", "text/csv",
			[]byte(importCSV+strings.Repeat("x", catalog.MaxImportBytes)))
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"file"`) {
			t.Fatalf("oversized: %d %.200s", code, body)
		}
		if code, body := owner.send("POST", "/api/v1/merchant/shops/"+sh.ID+"/imports", nil, "multipart/form-data; boundary=x"); code != http.StatusBadRequest ||
			fieldOf(body, "file") == "" {
			t.Fatalf("no file: %d %s", code, body)
		}
		if code, body := owner.upload("/api/v1/merchant/shops/"+sh.ID+"/imports", "text/csv", []byte("名字,价钱\n白菜,3\n")); code != http.StatusBadRequest ||
			fieldOf(body, "file") == "" {
			t.Fatalf("bad header: %d %s", code, body)
		}

		// Isolation: another shop's and another tenant's imports, another
		// tenant's shop, someone else's shop, anonymous callers.
		theirs := oowner.importCSV(http.StatusCreated, osh.ID, importCSV+importLine("白菜", "vegetables", "500g", "3", ""))
		neighbour := owner2.importCSV(http.StatusCreated, sh2.ID, importCSV+importLine("白菜", "vegetables", "500g", "3", ""))
		owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+sh.ID+"/imports/"+neighbour.ID, nil, nil)
		owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+sh.ID+"/imports/"+theirs.ID, nil, nil)
		owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+sh2.ID+"/imports/"+neighbour.ID, nil, nil)
		owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+osh.ID+"/imports/"+theirs.ID, nil, nil)
		owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+sh.ID+"/imports/nope", nil, nil)
		owner.importCSV(http.StatusNotFound, osh.ID, importCSV+importLine("白菜", "vegetables", "500g", "3", ""))
		owner.importCSV(http.StatusNotFound, sh2.ID, importCSV+importLine("白菜", "vegetables", "500g", "3", ""))
		anon.want(http.StatusUnauthorized, "GET", "/api/v1/merchant/shops/"+sh.ID+"/imports/"+ok.ID, nil, nil)

		// A large file is queued (202) and polled until done.
		var b strings.Builder
		b.WriteString(importCSV)
		for i := range catalog.SyncImportRows + 100 {
			b.WriteString(importLine(fmt.Sprintf("萝卜%04d", i), "vegetables", "500g", "2.5", ""))
		}
		q := owner.importCSV(http.StatusAccepted, sh.ID, b.String())
		if q.Status != catalog.ImportQueued || q.TotalRows != catalog.SyncImportRows+100 {
			t.Fatalf("queued %+v", q)
		}
		if err := a.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := a.StopJobs(ctx); err != nil {
				t.Error(err)
			}
		}()
		deadline := time.Now().Add(time.Minute)
		for got.Status = ""; got.Status != catalog.ImportDone && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/imports/"+q.ID, nil, &got)
			if got.Status == catalog.ImportFailed {
				t.Fatalf("failed: %+v", got)
			}
		}
		if got.Status != catalog.ImportDone || got.Progress != 100 || got.Products != catalog.SyncImportRows+100 {
			t.Fatalf("large import %+v", got)
		}
	})
}

func fieldOf(body []byte, field string) string {
	var e apiError
	_ = json.Unmarshal(body, &e)
	return e.Error.Fields[field]
}
