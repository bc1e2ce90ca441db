package adminui

import (
	"errors"
	"io"
	"net/http"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web"
)

// registerImport mounts the merchant console's CSV import: the upload
// form with the columns explained, the shop's recent imports, and one
// import's progress bar (the page refreshes itself while the job runs)
// and its report of bad cells.
func (u *ui) registerImport(rt *httpx.Router) {
	rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "GET", Path: "/merchant/shops/{id}/import", Perm: catalog.PermManage,
		Resource: true, Handler: u.importPage})
	rt.Handle(httpx.Route{Area: httpx.AreaTenant, Method: "POST", Path: "/merchant/shops/{id}/import", Perm: catalog.PermManage,
		Resource: true, MaxBody: catalog.MaxImportBytes + 1<<20, Handler: u.importUpload})
}

// importData is the import page.
type importData struct {
	Shop    *merchant.Shop
	Form    *web.Form
	Import  *catalog.Import // the import shown, if any
	Running bool            // queued or running: the page refreshes itself
	Recent  []*catalog.Import
	Columns []catalog.ImportColumn
	MaxRows int
	Sync    int
}

func (u *ui) importPage(w http.ResponseWriter, r *http.Request) {
	u.renderImport(w, r, http.StatusOK, nil)
}

func (u *ui) renderImport(w http.ResponseWriter, r *http.Request, status int, form *web.Form) {
	ctx, p := r.Context(), web.Principal(r)
	locale := i18n.FromContext(ctx)
	sh, err := u.a.Catalog.ShopFor(ctx, p, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	d := &importData{Shop: sh, Form: form, Columns: catalog.ImportColumns, MaxRows: catalog.MaxImportRows, Sync: catalog.SyncImportRows}
	if d.Form == nil {
		d.Form = &web.Form{}
	}
	if id := r.URL.Query().Get("import"); id != "" && form == nil {
		if d.Import, err = u.a.Imports.Import(ctx, p, sh.ID, id); err != nil {
			httpx.Error(w, r, err)
			return
		}
		d.Import.Localize(locale)
		d.Running = d.Import.Status == catalog.ImportQueued || d.Import.Status == catalog.ImportRunning
	}
	if d.Recent, err = u.a.Imports.Imports(ctx, p, sh.ID, 10); err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, _ := web.Console(ctx, u.a, p)
	pages.Render(w, r, status, "import", &web.Page{
		Title: title(r, "ui.import.title") + " · " + sh.Name, Area: web.AreaMerchant, Console: c.Any(), ThemeColor: sh.ThemeColor, Data: d,
	})
}

func (u *ui) importUpload(w http.ResponseWriter, r *http.Request) {
	ctx, p := r.Context(), web.Principal(r)
	shopID := r.PathValue("id")
	name, data, err := importFile(r)
	var im *catalog.Import
	if err == nil {
		im, err = u.a.Imports.Start(ctx, p, shopID, name, data)
	}
	if err != nil {
		f := &web.Form{}
		status, ok := f.Fail(r, err)
		if !ok || core.ErrorCode(err) == core.NotFound || core.ErrorCode(err) == core.Forbidden {
			httpx.Error(w, r, err)
			return
		}
		u.renderImport(w, r, status, f)
		return
	}
	web.Redirect(w, r, "/merchant/shops/", shopID, "/import?import=", im.ID)
}

// importFile reads the uploaded "file" of the form (already parsed by the
// CSRF check): its name and at most catalog.MaxImportBytes of content.
func importFile(r *http.Request) (string, []byte, error) {
	missing := &core.Error{Code: core.Invalid, Message: "error.invalid_input",
		Fields: map[string]string{"file": "catalog.import.field.file_required"}}
	tooLarge := &core.Error{Code: core.TooLarge, Message: "catalog.import.error.too_large",
		Fields: map[string]string{"file": "catalog.import.field.too_large"}}
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, tooLarge
			}
			return "", nil, missing
		}
	}
	defer r.MultipartForm.RemoveAll()
	f, hdr, err := r.FormFile("file")
	if err != nil {
		return "", nil, missing
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, catalog.MaxImportBytes+1))
	switch {
	case err != nil:
		return "", nil, err
	case len(data) > catalog.MaxImportBytes:
		return "", nil, tooLarge
	case len(data) == 0:
		return "", nil, missing
	}
	return hdr.Filename, data, nil
}

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"ui.import.title":      "批量导入商品",
		"ui.import.link":       "CSV 批量导入",
		"ui.import.intro":      "上传 CSV 表格（UTF-8 或 Excel 保存的 GBK 编码）。每行一个规格；商品编号（或商品名称）相同的行是同一商品的多个规格。只要有一行有误，整个文件都不会导入，并列出每个出错的单元格。",
		"ui.import.sizes":      "最多 %d 行、16 MB；超过 %d 行的文件在后台导入，本页显示进度。",
		"ui.import.file":       "CSV 文件",
		"ui.import.submit":     "上传并导入",
		"ui.import.columns":    "表格的列",
		"ui.import.column":     "列名",
		"ui.import.required":   "必填",
		"ui.import.status":     "状态",
		"ui.import.rows":       "%d 行",
		"ui.import.result":     "已导入 %d 件商品、%d 个规格。",
		"ui.import.report":     "出错的单元格（%d 处），文件没有导入：",
		"ui.import.row":        "行",
		"ui.import.message":    "问题",
		"ui.import.recent":     "最近的导入",
		"ui.import.progress":   "进度",
		"ui.import.refreshing": "本页每 2 秒刷新一次。",
		"ui.import.back":       "返回商品列表",
	})
	i18n.Add(i18n.EN, map[string]string{
		"ui.import.title":      "Import products",
		"ui.import.link":       "CSV import",
		"ui.import.intro":      "Upload a CSV table (UTF-8, or GBK as Excel saves it). Each line is one SKU; lines with the same product key (or product name) are SKUs of one product. If any line is wrong, nothing in the file is imported, and every bad cell is listed.",
		"ui.import.sizes":      "At most %d lines and 16 MB; files over %d lines import in the background and this page shows the progress.",
		"ui.import.file":       "CSV file",
		"ui.import.submit":     "Upload and import",
		"ui.import.columns":    "Columns of the table",
		"ui.import.column":     "Header",
		"ui.import.required":   "Required",
		"ui.import.status":     "Status",
		"ui.import.rows":       "%d lines",
		"ui.import.result":     "Imported %d products with %d SKUs.",
		"ui.import.report":     "Bad cells (%d); nothing was imported:",
		"ui.import.row":        "Row",
		"ui.import.message":    "Problem",
		"ui.import.recent":     "Recent imports",
		"ui.import.progress":   "Progress",
		"ui.import.refreshing": "This page refreshes every 2 seconds.",
		"ui.import.back":       "Back to the products",
	})
}
