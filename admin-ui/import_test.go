package adminui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestImportConsole: the owner finds the import page from the product
// list, uploads a good file (products appear), a bad one (the report
// table names the row and column, nothing is written), a large one
// (the progress bar refreshes until done) and no file (an error on the
// form); every page in both languages; another shop's owner gets 404.
func TestImportConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("王场长", "", "")
		sh := m.Shop(owner, "imp-veg", "岳麓蔬菜基地", m.Yuelu)
		b := m.SignedIn(owner)
		path := "/merchant/shops/" + sh.ID + "/import"

		r := webtest.Want(t, b.Get("/merchant/shops/"+sh.ID+"/products"), 200, "products")
		webtest.Contains(t, r, "products", `href="/t/`+m.Tenant.Slug+path+`"`, "CSV 批量导入")
		r = webtest.Want(t, b.Get(path), 200, "import page")
		webtest.Contains(t, r, "import page", "批量导入商品", `enctype="multipart/form-data"`, "商品名称", "分类编码")

		good := "商品名称,分类编码,规格,售价,状态\n有机菜心,vegetables,500g,6.5,在售\n"
		r = webtest.Want(t, b.Upload(path, "good.csv", "text/csv", []byte(good)), http.StatusSeeOther, "upload")
		done := r.Location()
		if !strings.Contains(done, path+"?import=") {
			t.Fatalf("redirect to %q", done)
		}
		r = webtest.Want(t, b.Get(strings.TrimPrefix(done, "/t/"+m.Tenant.Slug)), 200, "done")
		webtest.Contains(t, r, "done", "已完成", `<progress id="import-progress" max="100" value="100">`, "已导入 1 件商品、1 个规格。")
		webtest.Lacks(t, r, "done", `http-equiv="refresh"`)

		bad := "商品名称,分类编码,规格,售价\n菠菜,vegetables,500g,4\n芹菜,vegetables,500g,abc\n"
		r = webtest.Want(t, b.Upload(path, "bad.csv", "text/csv", []byte(bad)), http.StatusSeeOther, "bad upload")
		r = webtest.Want(t, b.Get(strings.TrimPrefix(r.Location(), "/t/"+m.Tenant.Slug)+"&lang=en"), 200, "report")
		webtest.Contains(t, r, "report", "Not imported", "<td>3</td><td>售价</td><td>Enter an amount with at most two decimals, like 12.80</td>")
		webtest.Want(t, b.Get(path+"?lang=zh-CN"), 200, "back to Chinese")
		n, err := m.App.Catalog.ProductCounts(m.Ctx, owner.Principal, sh.ID)
		if err != nil || n[catalog.ProductActive] != 1 {
			t.Fatalf("counts %v %v", n, err)
		}

		r = webtest.Want(t, b.Upload(path, "x.csv", "text/csv", nil), 400, "no file")
		webtest.Contains(t, r, "no file", "请选择要导入的 CSV 文件")
		r = webtest.Want(t, b.Upload(path, "x.csv", "text/csv", []byte("颜色\n绿\n")), 400, "bad header")
		webtest.Contains(t, r, "bad header", "无法识别的列“颜色”")

		var big strings.Builder
		big.WriteString("商品名称,分类编码,规格,售价,状态\n")
		for i := range catalog.SyncImportRows + 1 {
			fmt.Fprintf(&big, "萝卜%04d,vegetables,500g,2.5,在售\n", i)
		}
		r = webtest.Want(t, b.Upload(path, "big.csv", "text/csv", []byte(big.String())), http.StatusSeeOther, "big upload")
		queued := strings.TrimPrefix(r.Location(), "/t/"+m.Tenant.Slug)
		r = webtest.Want(t, b.Get(queued), 200, "queued")
		webtest.Contains(t, r, "queued", "排队中", `<meta http-equiv="refresh" content="2">`, `value="0"`)
		if err := m.App.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := m.App.StopJobs(ctx); err != nil {
				t.Error(err)
			}
		}()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if r = b.Get(queued); strings.Contains(r.Body, `max="100" value="100"`) {
				break
			}
		}
		webtest.Contains(t, r, "finished", `value="100"`, "已导入 501 件商品")

		for _, lang := range []string{"zh-CN", "en"} {
			r := webtest.Want(t, b.Get(queued+"&lang="+lang), 200, "import "+lang)
			webtest.Contains(t, r, "import "+lang, `<html lang="`+lang+`">`, "</html>")
			if s := untranslatedProduct.FindString(r.Body); s != "" {
				t.Errorf("%s: untranslated %q", lang, s)
			}
		}

		// Another shop's owner sees neither the page nor the import.
		other := m.Account("李场长", "", "")
		sh2 := m.Shop(other, "imp-veg-2", "芙蓉菜园", m.Yuelu)
		ob := m.SignedIn(other)
		webtest.Want(t, ob.Get(path), 404, "other's page")
		webtest.Want(t, ob.Get("/merchant/shops/"+sh2.ID+"/import"+strings.TrimPrefix(queued, path)), 404, "other's import under own shop")
		webtest.Want(t, ob.Upload(path, "good.csv", "text/csv", []byte(good)), 404, "other's upload")
	})
}
