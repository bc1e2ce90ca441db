package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/jobs"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

// Import limits.
const (
	// MaxImportBytes bounds an uploaded file.
	MaxImportBytes = 16 << 20
	// MaxImportRows bounds the SKU lines of a file.
	MaxImportRows = 50_000
	// SyncImportRows: files with at most this many lines import during
	// the upload; larger ones are queued as a job.
	SyncImportRows = 500
)

// Import statuses.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// Import is one CSV file imported into a shop's catalog, all or nothing:
// when any line is bad, nothing is imported and Report names every bad
// cell.
type Import struct {
	bun.BaseModel `bun:"table:catalog_imports,alias:ci"`

	TenantID      string          `bun:"tenant_id,pk" json:"-"`
	ID            string          `bun:"id,pk" json:"id"`
	ShopID        string          `bun:"shop_id,notnull" json:"shop_id"`
	UserID        string          `bun:"user_id,notnull" json:"user_id"`
	Filename      string          `bun:"filename,notnull" json:"filename"`
	Encoding      string          `bun:"encoding,notnull" json:"encoding"`
	Status        string          `bun:"status,notnull" json:"status"`
	TotalRows     int             `bun:"total_rows,notnull" json:"total_rows"`
	ValidatedRows int             `bun:"validated_rows,notnull" json:"validated_rows"`
	ImportedRows  int             `bun:"imported_rows,notnull" json:"imported_rows"`
	Products      int             `bun:"products,notnull" json:"products"`
	SKUs          int             `bun:"skus,notnull" json:"skus"`
	Report        []ImportProblem `bun:"report,notnull,type:text" json:"report"`
	// Error is the message key of a failure of the whole file (a closed
	// shop, an internal error); "" otherwise.
	Error      string     `bun:"error,notnull" json:"-"`
	Data       []byte     `bun:"data" json:"-"`
	JobID      *int64     `bun:"job_id" json:"-"`
	CreatedAt  time.Time  `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt  time.Time  `bun:"updated_at,notnull" json:"updated_at"`
	FinishedAt *time.Time `bun:"finished_at" json:"finished_at,omitempty"`

	// Progress is the share of the work done, 0–100: validating the lines
	// is the first half, writing them the second.
	Progress int `bun:"-" json:"progress"`
	// Message is Error in the reader's language (Localize).
	Message string `bun:"-" json:"message,omitempty"`
}

// ImportProblem is one bad cell of an import file.
type ImportProblem struct {
	// Row is the spreadsheet row (the header is row 1).
	Row int `json:"row"`
	// Column is the column's header as the file wrote it; Field its
	// canonical name (ImportColumns).
	Column string `json:"column"`
	Field  string `json:"field"`
	// Key is the message's i18n key; Message the message in the reader's
	// language (Localize).
	Key     string `json:"key"`
	Message string `json:"message,omitempty"`
}

// Localize fills the messages of im in locale and its progress.
func (im *Import) Localize(locale string) {
	for i := range im.Report {
		im.Report[i].Message = i18n.T(locale, im.Report[i].Key)
	}
	if im.Error != "" {
		im.Message = i18n.T(locale, im.Error)
	}
	im.fillProgress()
}

func (im *Import) fillProgress() {
	switch {
	case im.Status == ImportDone:
		im.Progress = 100
	case im.TotalRows > 0:
		im.Progress = (im.ValidatedRows + im.ImportedRows) * 100 / (2 * im.TotalRows)
	}
}

// ImportHook is called inside the transaction that imported products
// productIDs into shop shopID (the search index keeps itself in step this
// way, once for the whole file); its error rolls the import back.
type ImportHook func(ctx context.Context, tx bun.IDB, shopID string, productIDs []string) error

// ImportArgs are the arguments of the job that works a large import.
type ImportArgs struct {
	TenantID string `json:"tenant_id"`
	ImportID string `json:"import_id"`
}

// Kind names the job.
func (ImportArgs) Kind() string { return "catalog.import" }

// Importer imports CSV files of products into a shop's catalog.
type Importer struct {
	Catalog *Service
	Jobs    *jobs.Service
	// SyncRows overrides SyncImportRows (tests); 0 keeps it.
	SyncRows int

	mu    sync.RWMutex
	hooks []ImportHook
}

// NewImporter returns the importer and registers its job handler with q.
func NewImporter(c *Service, q *jobs.Service) *Importer {
	im := &Importer{Catalog: c, Jobs: q}
	jobs.Handle(q, im.work)
	return im
}

// OnImport registers h to run in every import's transaction. Without any,
// the catalog's change hooks run for each imported product.
func (x *Importer) OnImport(h ImportHook) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.hooks = append(x.hooks, h)
}

func (x *Importer) syncRows() int {
	if x.SyncRows > 0 {
		return x.SyncRows
	}
	return SyncImportRows
}

// Start imports file data (named filename) into shop shopID for p, who
// needs PermManage in the shop's domain. A file of at most SyncImportRows
// lines is imported at once, and the import comes back done or failed
// with its report; a larger one is stored and queued, and comes back
// queued: poll Import for its progress.
//
// Returns NotFound when the shop is absent, another tenant's, or outside
// p's reach; Forbidden when p may see it but not manage its products;
// Conflict for a closed shop; TooLarge for a file over MaxImportBytes;
// Invalid with a field error on "file" for a file that is not a CSV in
// UTF-8 or GBK, lacks a required column, names an unknown one, or has no
// line or more than MaxImportRows.
func (x *Importer) Start(ctx context.Context, p *identity.Principal, shopID, filename string, data []byte) (*Import, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	sh, err := x.Catalog.ShopFor(ctx, p, shopID)
	if err != nil {
		return nil, err
	}
	if sh.Status == merchant.ShopClosed {
		return nil, errShopClosed
	}
	if len(data) > MaxImportBytes {
		return nil, &core.Error{Code: core.TooLarge, Message: "catalog.import.error.too_large",
			Fields: map[string]string{"file": "catalog.import.field.too_large"}}
	}
	text, enc, ok := decodeImport(data)
	if !ok {
		return nil, fileErr("catalog.import.error.encoding", "catalog.import.field.encoding")
	}
	sheet, err := parseSheet(text, MaxImportRows)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	im := &Import{TenantID: sh.TenantID, ID: tenants.NewID(), ShopID: sh.ID, UserID: p.UserID,
		Filename: cleanFilename(filename), Encoding: enc, TotalRows: len(sheet.rows), Report: []ImportProblem{},
		CreatedAt: now, UpdatedAt: now}

	if len(sheet.rows) > x.syncRows() {
		im.Status, im.Data = ImportQueued, text
		err := x.Catalog.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := tx.NewInsert().Model(im).Exec(ctx); err != nil {
				return fmt.Errorf("record import: %w", err)
			}
			id, err := x.Jobs.Enqueue(ctx, tx, ImportArgs{TenantID: im.TenantID, ImportID: im.ID}, nil)
			if err != nil {
				return err
			}
			im.JobID = &id
			_, err = db.Update(ctx, tx, im).Column("job_id").WherePK().Exec(ctx)
			return err
		})
		if err != nil {
			return nil, err
		}
		im.Data = nil
		im.fillProgress()
		return im, nil
	}

	im.Status = ImportRunning
	if err := x.run(ctx, im, sheet, nil); err != nil {
		return nil, err
	}
	return im, nil
}

// run validates sheet and, when every line is good, writes it, all in one
// transaction that also records im (inserted when im is new, updated when
// it is stored). Bad lines leave im failed with its report, recorded in a
// transaction of its own. progress, when set, is told how many lines have
// been validated before the writing transaction starts.
func (x *Importer) run(ctx context.Context, im *Import, sheet *sheet, progress func(n int)) error {
	stored := im.Status != ImportRunning || progress != nil
	if progress != nil {
		// A first pass outside the writing transaction, reporting its
		// progress (SQLite's one writer cannot commit progress beside
		// an open writing transaction).
		var problems []ImportProblem
		err := x.Catalog.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
			sh, err := loadShop(ctx, tx, im.ShopID)
			if err != nil {
				return err
			}
			_, problems, err = x.plan(ctx, tx, sh, sheet, progress)
			return err
		})
		if err != nil {
			return err
		}
		if len(problems) > 0 {
			return x.fail(ctx, im, problems, "", stored)
		}
	}
	var problems []ImportProblem
	err := x.write(ctx, func(ctx context.Context, tx bun.IDB, w rowWriter) error {
		sh, err := loadShop(ctx, tx, im.ShopID)
		if err != nil {
			return err
		}
		if sh.Status == merchant.ShopClosed {
			return errShopClosed
		}
		var pl *importPlan
		pl, problems, err = x.plan(ctx, tx, sh, sheet, nil)
		if err != nil || len(problems) > 0 {
			return err
		}
		if err := w.products(ctx, tx, pl.products); err != nil {
			return err
		}
		if err := w.skus(ctx, tx, pl.skus); err != nil {
			return err
		}
		if err := x.indexed(ctx, tx, sh.ID, pl.ids); err != nil {
			return err
		}
		now := time.Now().UTC()
		im.Status, im.ValidatedRows, im.ImportedRows = ImportDone, im.TotalRows, im.TotalRows
		im.Products, im.SKUs, im.Data, im.UpdatedAt, im.FinishedAt = len(pl.products), len(pl.skus), nil, now, &now
		if stored {
			_, err = db.Update(ctx, tx, im).Column("status", "validated_rows", "imported_rows", "products", "skus",
				"data", "updated_at", "finished_at").WherePK().Exec(ctx)
		} else {
			_, err = tx.NewInsert().Model(im).Exec(ctx)
		}
		if err != nil {
			return fmt.Errorf("record import %s: %w", im.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return x.fail(ctx, im, problems, "", stored)
	}
	im.fillProgress()
	return nil
}

// fail records im as failed with problems or the message key msg.
func (x *Importer) fail(ctx context.Context, im *Import, problems []ImportProblem, msg string, stored bool) error {
	now := time.Now().UTC()
	im.Status, im.Report, im.Error, im.Data, im.UpdatedAt, im.FinishedAt = ImportFailed, problems, msg, nil, now, &now
	if im.Report == nil {
		im.Report = []ImportProblem{}
	}
	im.ValidatedRows, im.ImportedRows = im.TotalRows, 0
	err := x.Catalog.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if stored {
			_, err := db.Update(ctx, tx, im).Column("status", "report", "error", "data", "validated_rows", "imported_rows",
				"updated_at", "finished_at").WherePK().Exec(ctx)
			return err
		}
		_, err := tx.NewInsert().Model(im).Exec(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("record failed import %s: %w", im.ID, err)
	}
	im.fillProgress()
	return nil
}

// indexed runs the import hooks, or else the change hooks of each
// product.
func (x *Importer) indexed(ctx context.Context, tx bun.IDB, shopID string, ids []string) error {
	x.mu.RLock()
	hooks := append([]ImportHook(nil), x.hooks...)
	x.mu.RUnlock()
	if len(hooks) == 0 {
		for _, id := range ids {
			if err := x.Catalog.changed(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	}
	for _, h := range hooks {
		if err := h(ctx, tx, shopID, ids); err != nil {
			return fmt.Errorf("import hook: %w", err)
		}
	}
	return nil
}

// Import returns import id of shop shopID with its progress and report in
// the locale of ctx's caller (call Localize). p needs PermManage in the
// shop's domain. Returns NotFound for an import of another shop or
// tenant, and as Start for the shop.
func (x *Importer) Import(ctx context.Context, p *identity.Principal, shopID, id string) (*Import, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var im *Import
	err := x.Catalog.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := x.Catalog.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		im, err = loadImport(ctx, tx, sh.ID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	im.fillProgress()
	return im, nil
}

// Imports returns the latest imports of shop shopID (at most limit,
// newest first), without their reports. Permissions and errors as Import.
func (x *Importer) Imports(ctx context.Context, p *identity.Principal, shopID string, limit int) ([]*Import, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	out := []*Import{}
	err := x.Catalog.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := x.Catalog.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		return db.Select(ctx, tx, &out).ExcludeColumn("data", "report").Where("ci.shop_id = ?", sh.ID).
			Order("ci.created_at DESC", "ci.id DESC").Limit(int64(limit)).Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	for _, im := range out {
		im.Report = []ImportProblem{}
		im.fillProgress()
	}
	return out, nil
}

func loadImport(ctx context.Context, tx bun.IDB, shopID, id string) (*Import, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	im := new(Import)
	err := db.Select(ctx, tx, im).ExcludeColumn("data").Where("ci.id = ?", id).Where("ci.shop_id = ?", shopID).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return im, nil
}

// work is the job that imports a queued file.
func (x *Importer) work(ctx context.Context, j jobs.Job[ImportArgs]) error {
	t, err := tenants.ByID(ctx, x.Catalog.DB.DB, j.Args.TenantID)
	if err != nil {
		return fmt.Errorf("import %s: tenant: %w", j.Args.ImportID, err)
	}
	ctx = tenants.WithTenant(ctx, t)
	im := new(Import)
	err = x.Catalog.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, im).Where("ci.id = ?", j.Args.ImportID).Scan(ctx)
	})
	if err != nil {
		return fmt.Errorf("import %s: %w", j.Args.ImportID, err)
	}
	if im.Status == ImportDone || im.Status == ImportFailed {
		return nil
	}
	err = x.resume(ctx, im)
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) && ce.Code != core.Internal || j.LastAttempt() {
		key := "catalog.import.error.internal"
		if ce != nil && ce.Code != core.Internal {
			key = ce.Message
		} else {
			slog.ErrorContext(ctx, "import failed", "import", im.ID, "tenant", im.TenantID, "err", err)
		}
		return x.fail(ctx, im, nil, key, true)
	}
	return err
}

// resume works stored import im: parses its data, validates it with
// progress, and writes it.
func (x *Importer) resume(ctx context.Context, im *Import) error {
	sheet, err := parseSheet(im.Data, MaxImportRows)
	if err != nil {
		return err
	}
	im.Status, im.UpdatedAt = ImportRunning, time.Now().UTC()
	if err := x.progress(ctx, im, "status", "updated_at"); err != nil {
		return err
	}
	step := max(len(sheet.rows)/20, 200)
	return x.run(ctx, im, sheet, func(n int) {
		if n%step != 0 && n != len(sheet.rows) {
			return
		}
		im.ValidatedRows, im.UpdatedAt = n, time.Now().UTC()
		if err := x.progress(ctx, im, "validated_rows", "updated_at"); err != nil {
			slog.WarnContext(ctx, "import progress", "import", im.ID, "err", err)
		}
	})
}

func (x *Importer) progress(ctx context.Context, im *Import, cols ...string) error {
	return x.Catalog.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		_, err := db.Update(ctx, tx, im).Column(cols...).WherePK().Exec(ctx)
		return err
	})
}

// cleanFilename keeps the base name of an upload, at most 100 runes.
func cleanFilename(s string) string {
	s = strings.TrimSpace(norm.NFC.String(s))
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 100 {
		s = string(r[:100])
	}
	return s
}

// itoa is strconv.Itoa, short.
func itoa(n int) string { return strconv.Itoa(n) }
