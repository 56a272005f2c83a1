package core

import (
	"errors"
	"fmt"
)

// Code is the closed set of application error codes. Each edge (HTTP, jobs,
// plugin host) translates a Code exactly once.
type Code string

// The error codes and the HTTP status each maps to.
const (
	CodeMalformed       Code = "malformed"       // 400
	CodeUnauthenticated Code = "unauthenticated" // 401
	CodeForbidden       Code = "forbidden"       // 403
	CodeNotFound        Code = "not_found"       // 404
	CodeConflict        Code = "conflict"        // 409
	CodeInvalid         Code = "invalid"         // 422
	CodeRateLimited     Code = "rate_limited"    // 429
	CodeUnavailable     Code = "unavailable"     // 503
	CodeInternal        Code = "internal"        // 500
)

// Error is Gomato's single application error. Message is safe to show to
// users; Fields carries field-level validation messages keyed by the
// field's JSON name.
type Error struct {
	Code    Code
	Message string
	Fields  map[string]string
	// Err is the underlying cause, logged but never shown.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds a validation error from field messages.
func Invalid(fields map[string]string) *Error {
	return &Error{Code: CodeInvalid, Message: "validation failed", Fields: fields}
}

// ErrorCode returns the Code of err, or CodeInternal for errors that are not
// application errors.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrNoTenant is returned by tenant-scoped storage when the context carries
// no tenant: storage fails closed.
var ErrNoTenant = &Error{Code: CodeInternal, Message: "no tenant in context"}

// ErrNotFound is the generic not-found error; stores return it for no rows.
var ErrNotFound = &Error{Code: CodeNotFound, Message: "not found"}
