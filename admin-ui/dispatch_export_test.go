package adminui

import (
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/httpx"
)

// RegisterDispatch mounts the dispatch pages on rt, for tests run before
// Register mounts them itself.
func RegisterDispatch(rt *httpx.Router, a *app.App) { (&ui{a: a}).registerDispatch(rt) }
