package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/httpx"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file with its content hash.
type asset struct {
	body  []byte
	hash  string
	ctype string
}

// assets are the files under static/ (README.md excepted), read once.
var assets = loadAssets()

func loadAssets() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".md") {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[strings.TrimPrefix(p, "static/")] = asset{body: b, hash: hex.EncodeToString(sum[:])[:12], ctype: ctype}
		return nil
	})
	if err != nil {
		panic("web: read static assets: " + err.Error())
	}
	return out
}

// Asset returns the URL of static file name with its content hash, which
// lets browsers cache it for a year ("/static/app.css?v=…").
func Asset(name string) string {
	a, ok := assets[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + a.hash
}

// serveStatic answers GET /static/{name} on every host.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	a, ok := assets[name]
	if !ok {
		httpx.Error(w, r, core.Errorf(core.NotFound, "error.not_found"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+a.hash+`"`)
	if r.URL.Query().Get("v") == a.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
