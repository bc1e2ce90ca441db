// Command hostcall is a plugin for the SDK's tests that uses what the host
// hands a plugin process: its job opens nothing itself but counts the runs
// of the calling tenant in the plugin's store (JISHI_PLUGIN_DB_*) and
// reports them to the host's callback service (JISHI_HOST_CALLBACK).
package main

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"

	"github.com/uptrace/bun"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
)

//go:embed migrations
var migrationFiles embed.FS

type run struct {
	bun.BaseModel `bun:"table:runs,alias:r"`

	TenantID string `bun:"tenant_id,pk"`
	RunID    string `bun:"run_id,pk"`
}

type hostcall struct {
	sdk.Unimplemented
	store *store.Store
}

func (p *hostcall) RunJob(ctx context.Context, t *sdk.Tenant, req *pluginv1.RunJobRequest) (*pluginv1.RunJobResponse, error) {
	r := &run{TenantID: t.ID, RunID: req.GetRunId()}
	if _, err := p.store.DB.NewInsert().Model(r).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
		return nil, err
	}
	n, err := store.Scoped(p.store.DB.NewSelect().Model((*run)(nil)), t.ID).Count(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := sdk.Host(t).RecordUsage(ctx, &pluginv1.RecordUsageRequest{
		Metric: "hostcall.run", Quantity: int64(n), IdempotencyKey: req.GetRunId(),
	}); err != nil {
		return nil, err
	}
	return &pluginv1.RunJobResponse{Summary: fmt.Sprintf("%s: %d runs", p.store.Driver, n)}, nil
}

func main() {
	migrations, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err)
	}
	st, err := store.Open(context.Background(), migrations)
	if err != nil {
		sdk.Logger().Error("open store", "error", err)
		os.Exit(1)
	}
	defer st.Close()
	sdk.Serve(&pluginv1.Manifest{
		Name:       "hostcall",
		Version:    "0.0.1",
		Hooks:      []*pluginv1.HookSpec{{Name: pluginv1.HookName_HOOK_NAME_RUN_JOB}},
		Jobs:       []*pluginv1.JobSpec{{Name: "count", Schedule: &pluginv1.JobSpec_Cron{Cron: "* * * * *"}}},
		HostScopes: []string{"usage:record"},
	}, &hostcall{store: st})
}
