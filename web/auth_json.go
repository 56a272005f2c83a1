package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/core"
)

// authDecode reads a request body strictly into v: JSON (unknown fields
// are a 422 naming the field, syntax errors a 400), or, for HTML forms,
// form values through v's `form` tags.
func authDecode(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if strings.HasPrefix(ct, fiber.MIMEApplicationForm) || strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
		if err := c.BodyParser(v); err != nil {
			return &core.Error{Code: core.CodeMalformed, Message: "unreadable form", Err: err}
		}
		return nil
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return &core.Error{Code: core.CodeMalformed, Message: "send a JSON body"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &core.Error{Code: core.CodeMalformed, Message: "send one JSON object"}
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return &core.Error{Code: core.CodeMalformed, Message: "send a JSON object", Err: err}
		}
		return core.Invalid(map[string]string{field: fmt.Sprintf("must be %s", jsonKind(te.Type.Kind().String()))})
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return &core.Error{Code: core.CodeMalformed, Message: "malformed JSON", Err: err}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return core.Invalid(map[string]string{name: "unknown field"})
	}
	return &core.Error{Code: core.CodeMalformed, Message: "malformed JSON", Err: err}
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value of another type"
	}
	if strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint") || strings.HasPrefix(k, "float") {
		return "a number"
	}
	return "of another type"
}
