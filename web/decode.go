package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/core"
)

// decodeJSON decodes the request body into v strictly, as every handler in
// the product does (Fiber's BodyParser accepts unknown fields): malformed
// JSON, an empty body or trailing data is a 400; an unknown field, a
// value of the wrong type (a float where an integer is wanted, so money
// never arrives as a float) or an unparseable value (a bad UUID or time)
// is a 422 naming the field. Numbers in free-form values (custom fields)
// stay exact (json.Number).
func decodeJSON(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	if ct != "" && ct != fiber.MIMEApplicationJSON && !strings.HasSuffix(ct, "+json") {
		return core.Errorf(core.CodeMalformed, "send the body as application/json")
	}
	return decodeStrict(c.Body(), v)
}

// decodeStrict is decodeJSON on raw bytes.
func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return core.Errorf(core.CodeMalformed, "the request body is empty: send a JSON object")
	}
	err := strictDecoder(body).Decode(v)
	if err == nil {
		if err = trailing(body); err != nil {
			return err
		}
		return nil
	}
	return decodeError(body, v, err)
}

func strictDecoder(body []byte) *json.Decoder {
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	d.UseNumber()
	return d
}

// trailing rejects anything after the first JSON value.
func trailing(body []byte) error {
	d := json.NewDecoder(bytes.NewReader(body))
	var skip json.RawMessage
	if err := d.Decode(&skip); err != nil {
		return core.Errorf(core.CodeMalformed, "malformed JSON")
	}
	if _, err := d.Token(); err != io.EOF {
		return core.Errorf(core.CodeMalformed, "malformed JSON: unexpected data after the object")
	}
	return nil
}

func decodeError(body []byte, v any, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return core.Errorf(core.CodeMalformed, "malformed JSON at byte %d", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return core.Errorf(core.CodeMalformed, "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return core.Errorf(core.CodeMalformed, "the body must be a JSON %s", kindOfJSON(reflect.TypeOf(v)))
		}
		return core.Invalid(map[string]string{typ.Field: "must be " + article(kindOfJSON(typ.Type))})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return core.Invalid(map[string]string{strings.Trim(name, `"`): "unknown field"})
	}
	// A value the field's own type refused (a UUID, a time…): find which
	// top-level field it was by decoding them one at a time.
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		t := reflect.TypeOf(v)
		for name, raw := range fields {
			one, _ := json.Marshal(map[string]json.RawMessage{name: raw})
			fresh := reflect.New(t.Elem()).Interface()
			if e := strictDecoder(one).Decode(fresh); e != nil {
				return core.Invalid(map[string]string{name: "invalid value: " + valueProblem(e)})
			}
		}
	}
	return core.Errorf(core.CodeMalformed, "malformed JSON")
}

// valueProblem turns a type's parse error into a user-safe phrase.
func valueProblem(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "UUID"):
		return "not a UUID"
	case strings.Contains(msg, "parsing time"):
		return "not an RFC 3339 time (2006-01-02T15:04:05Z)"
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "must be " + article(kindOfJSON(typ.Type))
	}
	return "not accepted"
}

func kindOfJSON(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Array {
			return "string" // UUIDs
		}
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return fmt.Sprint(t.Kind())
}

func article(kind string) string {
	switch kind {
	case "integer", "array", "object":
		return "an " + kind
	}
	return "a " + kind
}
