package catalog

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
)

// rowWriter writes an import's products and SKUs inside its transaction:
// with COPY on PostgreSQL, in batched INSERTs on SQLite.
type rowWriter interface {
	products(ctx context.Context, tx bun.IDB, prs []*Product) error
	skus(ctx context.Context, tx bun.IDB, ks []*SKU) error
}

// write runs fn in a transaction bound to the tenant in ctx, handing it
// the dialect's rowWriter. On PostgreSQL the transaction runs on a
// connection of its own, so that COPY (which database/sql cannot issue)
// goes through pgx on the same connection and transaction.
func (x *Importer) write(ctx context.Context, fn func(ctx context.Context, tx bun.IDB, w rowWriter) error) error {
	d := x.Catalog.DB
	if d.Engine != db.Postgres {
		return d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error { return fn(ctx, tx, batchWriter{}) })
	}
	conn, err := d.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("import: connection: %w", err)
	}
	defer conn.Close()
	ctx, committed := db.WithAfterCommit(ctx) // the search index's cache, after the commit
	err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('app.tenant_id', ?, true)", db.TenantID(ctx)); err != nil {
			return fmt.Errorf("bind transaction to tenant: %w", err)
		}
		return fn(ctx, tx, copyWriter{conn: conn})
	})
	if err == nil {
		committed()
	}
	return err
}

// batchWriter inserts rows in batches of multi-row INSERTs.
type batchWriter struct{}

// importBatch keeps a batch's bound parameters under SQLite's limit.
const importBatch = 500

func (batchWriter) products(ctx context.Context, tx bun.IDB, prs []*Product) error {
	for i := 0; i < len(prs); i += importBatch {
		part := prs[i:min(i+importBatch, len(prs))]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return fmt.Errorf("import products: %w", err)
		}
	}
	return nil
}

func (batchWriter) skus(ctx context.Context, tx bun.IDB, ks []*SKU) error {
	for i := 0; i < len(ks); i += importBatch {
		part := ks[i:min(i+importBatch, len(ks))]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return fmt.Errorf("import skus: %w", err)
		}
	}
	return nil
}

// copyWriter COPYs rows into a temporary table and moves them into the
// real one with INSERT … SELECT: PostgreSQL refuses COPY FROM into a
// table with row-level security, while the INSERT still has every row
// checked against the tenant policy.
type copyWriter struct{ conn bun.Conn }

var (
	productCopyColumns = []string{"tenant_id", "id", "shop_id", "category_id", "name", "subtitle", "description", "status",
		"origin", "certifications", "attributes", "series", "supplier_id", "cover_path", "sales_count", "created_at", "updated_at"}
	skuCopyColumns = []string{"tenant_id", "id", "product_id", "shop_id", "code", "spec", "price_fen", "list_price_fen",
		"cost_fen", "weight_g", "barcode", "purchase_limit", "status", "sort", "created_at", "updated_at"}
)

func (w copyWriter) products(ctx context.Context, tx bun.IDB, prs []*Product) error {
	rows := make([][]any, len(prs))
	for i, p := range prs {
		certs, err := json.Marshal(p.Certifications)
		if err != nil {
			return err
		}
		attrs, err := json.Marshal(p.Attributes)
		if err != nil {
			return err
		}
		rows[i] = []any{p.TenantID, p.ID, p.ShopID, p.CategoryID, p.Name, p.Subtitle, p.Description, p.Status,
			p.Origin, string(certs), string(attrs), p.Series, p.SupplierID, p.CoverPath, p.SalesCount, p.CreatedAt, p.UpdatedAt}
	}
	return w.copy(ctx, tx, "products", productCopyColumns, rows)
}

func (w copyWriter) skus(ctx context.Context, tx bun.IDB, ks []*SKU) error {
	rows := make([][]any, len(ks))
	for i, k := range ks {
		rows[i] = []any{k.TenantID, k.ID, k.ProductID, k.ShopID, k.Code, k.Spec, k.PriceFen, k.ListPriceFen,
			k.CostFen, int32(k.WeightG), k.Barcode, int32(k.PurchaseLimit), k.Status, int32(k.Sort), k.CreatedAt, k.UpdatedAt}
	}
	return w.copy(ctx, tx, "skus", skuCopyColumns, rows)
}

// copy moves rows into table through temporary table import_{table},
// dropped at commit.
func (w copyWriter) copy(ctx context.Context, tx bun.IDB, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	tmp := "import_" + table
	if _, err := tx.ExecContext(ctx, "CREATE TEMPORARY TABLE IF NOT EXISTS "+tmp+
		" (LIKE "+table+" INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
		return fmt.Errorf("import %s: temporary table: %w", table, err)
	}
	err := w.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("import %s: connection is %T, not pgx", table, dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{tmp}, cols, pgx.CopyFromRows(rows))
		return err
	})
	if err != nil {
		return fmt.Errorf("import %s: copy: %w", table, err)
	}
	list := ""
	for i, c := range cols {
		if i > 0 {
			list += ", "
		}
		list += c
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+table+" ("+list+") SELECT "+list+" FROM "+tmp); err != nil {
		return fmt.Errorf("import %s: %w", table, err)
	}
	_, err = tx.ExecContext(ctx, "TRUNCATE "+tmp)
	return err
}
