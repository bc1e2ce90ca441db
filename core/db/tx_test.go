package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/uptrace/bun"
)

// TestAfterCommitAndRollback: functions registered in a transaction run
// after it commits (AfterCommit) or when it does not (AfterRollback), never
// both.
func TestAfterCommitAndRollback(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		var committed, rolledBack int
		register := func(ctx context.Context) {
			db.AfterCommit(ctx, func() { committed++ })
			db.AfterRollback(ctx, func() { rolledBack++ })
		}
		if err := d.RunInTx(context.Background(), func(ctx context.Context, tx bun.IDB) error {
			register(ctx)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if committed != 1 || rolledBack != 0 {
			t.Fatalf("after a commit: committed %d, rolled back %d", committed, rolledBack)
		}
		boom := errors.New("boom")
		err := d.RunInTx(context.Background(), func(ctx context.Context, tx bun.IDB) error {
			register(ctx)
			return boom
		})
		if !errors.Is(err, boom) || committed != 1 || rolledBack != 1 {
			t.Fatalf("after a rollback: %v, committed %d, rolled back %d", err, committed, rolledBack)
		}
		// Outside a transaction AfterRollback does nothing.
		db.AfterRollback(context.Background(), func() { rolledBack++ })
		if rolledBack != 1 {
			t.Fatal("AfterRollback ran outside a transaction")
		}
	})
}
