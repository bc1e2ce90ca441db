package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
)

func init() { registrations = append(registrations, registerImports) }

// registerImports mounts the catalog's CSV import: upload a file (a small
// one is imported at once, a large one is queued), and read an import's
// status, progress and report (what the console polls).
func registerImports(rt *httpx.Router, a *app.App) {
	rt.Handle(httpx.Route{Method: "POST", Path: "/api/v1/merchant/shops/{id}/imports", Perm: catalog.PermManage,
		Resource: true, MaxBody: catalog.MaxImportBytes + 1<<20, Handler: func(w http.ResponseWriter, r *http.Request) {
			name, data, err := ImportUpload(r)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			im, err := a.Imports.Start(r.Context(), principal(r), r.PathValue("id"), name, data)
			if err != nil {
				httpx.Error(w, r, err)
				return
			}
			im.Localize(i18n.FromContext(r.Context()))
			status := http.StatusCreated
			if im.Status == catalog.ImportQueued || im.Status == catalog.ImportRunning {
				status = http.StatusAccepted
			}
			httpx.JSON(w, status, im)
		}})
	rt.Handle(httpx.Route{Method: "GET", Path: "/api/v1/merchant/shops/{id}/imports/{import}", Perm: catalog.PermManage,
		Resource: true, Handler: func(w http.ResponseWriter, r *http.Request) {
			im, err := a.Imports.Import(r.Context(), principal(r), r.PathValue("id"), r.PathValue("import"))
			if err == nil {
				im.Localize(i18n.FromContext(r.Context()))
			}
			reply(w, r, http.StatusOK, im, err)
		}})
}

// ImportUpload reads the "file" part of a multipart upload without
// buffering the rest of the form: its name and at most
// catalog.MaxImportBytes of content. A larger file is TooLarge (413); a
// request without a file is Invalid on field "file".
func ImportUpload(r *http.Request) (string, []byte, error) {
	missing := &core.Error{Code: core.Invalid, Message: "error.invalid_input",
		Fields: map[string]string{"file": "catalog.import.field.file_required"}}
	tooLarge := &core.Error{Code: core.TooLarge, Message: "catalog.import.error.too_large",
		Fields: map[string]string{"file": "catalog.import.field.too_large"}}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return "", nil, missing
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, missing
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, missing
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, tooLarge
			}
			return "", nil, &core.Error{Code: core.Invalid, Message: "error.invalid_input", Fields: missing.Fields, Err: err}
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, catalog.MaxImportBytes+1))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe) || len(data) > catalog.MaxImportBytes:
			return "", nil, tooLarge
		case err != nil:
			return "", nil, &core.Error{Code: core.Invalid, Message: "error.invalid_input", Fields: missing.Fields, Err: err}
		case len(data) == 0:
			return "", nil, missing
		}
		return part.FileName(), data, nil
	}
}
