package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/tenants"
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

// TestConcurrentWriters: on SQLite, many write transactions at once all
// commit, each seeing the others' work (they take turns in the process's
// writer queue), and a cancelled context gives up its turn.
func TestConcurrentWriters(t *testing.T) {
	d := dbtest.SQLite(t)
	{
		ctx := context.Background()
		table := "writers_" + strings.ReplaceAll(tenantsID(), "-", "")[:12]
		if _, err := d.ExecContext(ctx, "CREATE TABLE "+table+" (id integer PRIMARY KEY, n integer NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = d.ExecContext(ctx, "DROP TABLE "+table) })
		if _, err := d.ExecContext(ctx, "INSERT INTO "+table+" (id, n) VALUES (1, 0)"); err != nil {
			t.Fatal(err)
		}
		const writers = 40
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
					var n int
					if err := tx.NewRaw("SELECT n FROM "+table+" WHERE id = 1").Scan(ctx, &n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, "UPDATE "+table+" SET n = ? WHERE id = 1", n+1)
					return err
				})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := d.NewRaw("SELECT n FROM "+table+" WHERE id = 1").Scan(ctx, &n); err != nil || n != writers {
			t.Fatalf("counter %d (%v), want %d", n, err, writers)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := d.RunInTx(cancelled, func(ctx context.Context, tx bun.IDB) error { return nil }); err == nil {
			t.Fatal("a cancelled context began a transaction")
		}
	}
}

func tenantsID() string { return tenants.NewID() }
