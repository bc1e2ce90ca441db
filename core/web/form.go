package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/httpx"
)

// Form is the state of a submitted form: its values, kept when the form
// is shown again, and the errors to show next to its fields and above it.
// The methods work on a nil *Form.
type Form struct {
	Values url.Values
	// Errors maps a field name to its message, in the page's language.
	Errors map[string]string
	// Message is the form-level message, in the page's language.
	Message string
}

// FormOf returns the form state of r's submitted body (url-encoded or
// multipart, already parsed by the CSRF check or parsed here).
func FormOf(r *http.Request) *Form {
	if r.PostForm == nil {
		_ = r.ParseForm()
	}
	return &Form{Values: r.PostForm}
}

// NewForm returns a form pre-filled with values (for editing a record).
func NewForm(values map[string]string) *Form {
	v := url.Values{}
	for k, x := range values {
		v.Set(k, x)
	}
	return &Form{Values: v}
}

// Get returns the submitted value of field name.
func (f *Form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(name)
}

// Checked reports whether field name was submitted with value (check
// boxes, radio buttons and selects).
func (f *Form) Checked(name, value string) bool {
	if f == nil {
		return false
	}
	return slices.Contains(f.Values[name], value)
}

// Error returns the message for field name, or "".
func (f *Form) Error(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// Failed reports whether the form has any error.
func (f *Form) Failed() bool { return f != nil && (f.Message != "" || len(f.Errors) > 0) }

// Fail records err on the form in the request's language and returns the
// status to answer with. It reports false for internal errors (and any
// error that is not a *core.Error), which the caller passes to
// httpx.Error instead of showing them on the form.
func (f *Form) Fail(r *http.Request, err error) (int, bool) {
	var e *core.Error
	if !errors.As(err, &e) || e.Code == core.Internal || e.Code == core.Unavailable {
		return 0, false
	}
	status, d := httpx.Describe(r, err)
	f.Message = d.Message
	if len(d.Fields) > 0 {
		f.Errors = d.Fields
	}
	return status, true
}
