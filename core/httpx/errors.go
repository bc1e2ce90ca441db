package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/i18n"
)

// Status maps an error code to its HTTP status; this is the one table.
var Status = map[core.Code]int{
	core.Invalid:         http.StatusBadRequest,
	core.NotFound:        http.StatusNotFound,
	core.Conflict:        http.StatusConflict,
	core.TooLarge:        http.StatusRequestEntityTooLarge,
	core.Forbidden:       http.StatusForbidden,
	core.Unauthenticated: http.StatusUnauthorized,
	core.TooManyRequests: http.StatusTooManyRequests,
	core.Unavailable:     http.StatusServiceUnavailable,
	core.Internal:        http.StatusInternalServerError,
}

// ErrorBody is the one error shape of the JSON API:
// {"error":{"code","message","fields"}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody. Message and fields are in the
// caller's language.
type ErrorDetail struct {
	Code    core.Code         `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// HTMLErrorFunc renders an error as a page; the web shell installs one.
type HTMLErrorFunc func(w http.ResponseWriter, r *http.Request, status int, detail ErrorDetail)

var htmlError HTMLErrorFunc

// SetHTMLError installs the page renderer used for errors on non-API
// paths.
func SetHTMLError(f HTMLErrorFunc) { htmlError = f }

// Describe turns err into the status and detail shown to the caller, in
// the locale of ctx. Internal errors are logged with the request id and
// shown without detail.
func Describe(r *http.Request, err error) (int, ErrorDetail) {
	locale := i18n.FromContext(r.Context())
	code := core.ErrorCode(err)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		// 413, keeping the field a handler named (an upload's "file").
		var ce *core.Error
		if errors.As(err, &ce) && len(ce.Fields) > 0 {
			err = &core.Error{Code: core.TooLarge, Message: ce.Message, Args: ce.Args, Fields: ce.Fields}
		} else {
			err = core.Errorf(core.TooLarge, "error.body_too_large")
		}
		code = core.TooLarge
	}
	status, ok := Status[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	d := ErrorDetail{Code: code}
	var e *core.Error
	if code == core.Internal || !errors.As(err, &e) {
		slog.ErrorContext(r.Context(), "internal error", "err", err, "request_id", RequestID(r.Context()), "path", r.URL.Path)
		d.Code = core.Internal
		d.Message = i18n.T(locale, "error.internal")
		return status, d
	}
	d.Message = i18n.T(locale, e.Message, e.Args...)
	if len(e.Fields) > 0 {
		d.Fields = map[string]string{}
		for f, k := range e.Fields {
			d.Fields[f] = i18n.T(locale, k)
		}
	}
	return status, d
}

// Error writes err to w: JSON on API paths, a page elsewhere.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	status, d := Describe(r, err)
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "60")
	}
	if htmlError != nil && !IsAPI(r.URL.Path) && !wantsJSON(r) {
		htmlError(w, r, status, d)
		return
	}
	JSON(w, status, ErrorBody{Error: d})
}

func wantsJSON(r *http.Request) bool {
	return r.Header.Get("Accept") == "application/json" || r.Header.Get("Content-Type") == "application/json"
}

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// Decode reads a JSON body into v. Unknown fields and malformed JSON are
// Invalid errors.
func Decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return core.Errorf(core.TooLarge, "error.body_too_large")
		}
		return &core.Error{Code: core.Invalid, Message: "error.bad_json", Err: err}
	}
	return nil
}

func init() {
	i18n.Add(i18n.ZH, map[string]string{
		"error.body_too_large": "提交的内容过大",
		"error.bad_json":       "请求格式不正确（需要 JSON）",
		"error.csrf":           "页面已过期或来源不可信，请刷新后重试",
	})
	i18n.Add(i18n.EN, map[string]string{
		"error.body_too_large": "The request is too large",
		"error.bad_json":       "Malformed request (JSON expected)",
		"error.csrf":           "The page has expired or the request did not come from this site; reload and try again",
	})
}
