// Package core holds the types every bounded context of the Jishi core
// shares: the one error type and its codes.
package core

import (
	"errors"
	"fmt"
)

// Code classifies an Error. Each code maps to exactly one HTTP status in
// core/httpx.
type Code string

// The error codes. There are deliberately few of them.
const (
	Invalid         Code = "invalid"           // bad input; Fields says which
	NotFound        Code = "not_found"         // absent, or not visible to the caller
	Conflict        Code = "conflict"          // duplicate or wrong state
	TooLarge        Code = "too_large"         // the request body exceeds the route's limit
	Forbidden       Code = "forbidden"         // authenticated but not allowed, or CSRF failure
	Unauthenticated Code = "unauthenticated"   // no valid session or token
	TooManyRequests Code = "too_many_requests" // throttled or locked out
	Unavailable     Code = "unavailable"       // a dependency is down
	Internal        Code = "internal"          // a bug; never shown in detail
)

// Error is the one error type of the core. Message is an i18n key (see
// core/i18n) rendered in the caller's language at the edge; Args fill its
// placeholders. Fields maps a field name to an i18n key for field-level
// validation errors.
type Error struct {
	Code    Code
	Message string
	Args    []any
	Fields  map[string]string
	Err     error // wrapped cause, never shown to users
}

// Error implements error.
func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if len(e.Fields) > 0 {
		s += fmt.Sprintf(" %v", e.Fields)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with the given code and message key.
func Errorf(code Code, key string, args ...any) *Error {
	return &Error{Code: code, Message: key, Args: args}
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, Internal for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// IsNotFound reports whether err carries NotFound.
func IsNotFound(err error) bool { return ErrorCode(err) == NotFound }

// FieldErrors collects field-level validation errors. The zero value is
// ready to use.
type FieldErrors map[string]string

// Add records the i18n key for field unless the field already has one.
func (f *FieldErrors) Add(field, key string) {
	if *f == nil {
		*f = FieldErrors{}
	}
	if _, ok := (*f)[field]; !ok {
		(*f)[field] = key
	}
}

// Err returns nil when there are no field errors, otherwise an Invalid
// Error carrying them.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: "error.invalid_input", Fields: map[string]string(f)}
}

// RenameField shows the error of field from (an API's name, "amount_fen")
// under field to as well (a form's name, "amount"), when err carries one.
func RenameField(err error, from, to string) error {
	var ce *Error
	if errors.As(err, &ce) && ce.Fields[from] != "" {
		ce.Fields[to] = ce.Fields[from]
	}
	return err
}
