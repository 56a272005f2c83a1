package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
)

var statusOf = map[core.Code]int{
	core.CodeMalformed:       fiber.StatusBadRequest,
	core.CodeUnauthenticated: fiber.StatusUnauthorized,
	core.CodeForbidden:       fiber.StatusForbidden,
	core.CodeNotFound:        fiber.StatusNotFound,
	core.CodeConflict:        fiber.StatusConflict,
	core.CodeInvalid:         fiber.StatusUnprocessableEntity,
	core.CodeRateLimited:     fiber.StatusTooManyRequests,
	core.CodeUnavailable:     fiber.StatusServiceUnavailable,
	core.CodeInternal:        fiber.StatusInternalServerError,
}

var codeOfStatus = map[int]core.Code{
	fiber.StatusBadRequest:            core.CodeMalformed,
	fiber.StatusUnauthorized:          core.CodeUnauthenticated,
	fiber.StatusForbidden:             core.CodeForbidden,
	fiber.StatusNotFound:              core.CodeNotFound,
	fiber.StatusMethodNotAllowed:      core.CodeNotFound,
	fiber.StatusConflict:              core.CodeConflict,
	fiber.StatusRequestEntityTooLarge: core.CodeMalformed,
	fiber.StatusUnprocessableEntity:   core.CodeInvalid,
	fiber.StatusTooManyRequests:       core.CodeRateLimited,
	fiber.StatusServiceUnavailable:    core.CodeUnavailable,
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries the code, a user-safe message and field messages.
type ErrorDetail struct {
	Code    core.Code         `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// unstorableText are the Postgres errors for text it cannot store: a NUL
// character (22021 character_not_in_repertoire) or one the client
// encoding cannot convert (22P05 untranslatable_character). rejectNUL
// answers the usual case first; these are the safety net for a value
// that reaches SQL another way, and they are the client's doing.
var unstorableText = map[pq.ErrorCode]bool{"22021": true, "22P05": true}

// toDetail turns any error into the status and body shown to clients.
// Internal errors show no detail.
func toDetail(err error) (int, ErrorDetail) {
	var pe *pq.Error
	if errors.As(err, &pe) && unstorableText[pe.Code] {
		return fiber.StatusUnprocessableEntity, ErrorDetail{Code: core.CodeInvalid,
			Message: "a value contains a character that cannot be stored (such as NUL)",
			Fields:  map[string]string{"body": "contains a character that cannot be stored"}}
	}
	var ae *core.Error
	if errors.As(err, &ae) {
		st, ok := statusOf[ae.Code]
		if !ok {
			st = fiber.StatusInternalServerError
		}
		msg := ae.Message
		if ae.Code == core.CodeInternal {
			msg = "internal error"
		}
		return st, ErrorDetail{Code: ae.Code, Message: msg, Fields: ae.Fields}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code, ok := codeOfStatus[fe.Code]
		if !ok {
			code = core.CodeInternal
		}
		msg := fe.Message
		if fe.Code == fiber.StatusNotFound || fe.Code == fiber.StatusMethodNotAllowed {
			return fiber.StatusNotFound, ErrorDetail{Code: core.CodeNotFound, Message: "not found"}
		}
		return fe.Code, ErrorDetail{Code: code, Message: msg}
	}
	return fiber.StatusInternalServerError, ErrorDetail{Code: core.CodeInternal, Message: "internal error"}
}

// handleError is the one place errors become responses.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	status, d := toDetail(err)
	if status >= 500 {
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
	}
	if isUIRequest(c) {
		return s.uiError(c, status, d)
	}
	return c.Status(status).JSON(ErrorBody{Error: d})
}
