// Command groupbuy is the group-buying plugin (拼团): shops sell a product
// at a group price, shoppers open groups and invite friends, and orders ship
// once a group fills in time or are refunded when it does not. The logic is
// in internal/groupbuy; this program opens the database the host names
// (JISHI_PLUGIN_DB_DRIVER, JISHI_PLUGIN_DB_DSN), applies the plugin's
// migrations and serves. It never prints to stdout.
package main

import (
	"context"
	"os"

	"github.com/jishi-dev/jishi/plugins/groupbuy/internal/groupbuy"
	"github.com/jishi-dev/jishi/plugins/groupbuy/migrations"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
)

func main() {
	st, err := store.Open(context.Background(), migrations.FS)
	if err != nil {
		sdk.Logger().Error("open store", "error", err)
		os.Exit(1)
	}
	defer st.Close()
	sdk.Serve(groupbuy.Manifest(), groupbuy.New(st, groupbuy.Options{}))
}
