package web

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/gomato/gomato/core"
)

// nulMessage is the field message for a value with a NUL character.
const nulMessage = "contains a NUL character"

// rejectNUL answers 422 for a request that carries a NUL character (0x00)
// in its path, its query string, a url-encoded form or a JSON body (raw,
// or escaped as \u0000): Postgres stores no NUL in text (22021) and its
// client encoding refuses it (22P05), so such a value would otherwise end
// in a 500 wherever it reaches SQL. The field message names the query
// parameter, the form field or the JSON field. Multipart bodies are left
// alone: their files (XLSX) are binary.
func rejectNUL(c *fiber.Ctx) error {
	if strings.IndexByte(c.Path(), 0) >= 0 {
		return nulError("path", "the URL's path "+nulMessage)
	}
	var bad string
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if bad == "" && (bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0) {
			bad = strings.ReplaceAll(string(k), "\x00", "")
			if bad == "" {
				bad = "query"
			}
		}
	})
	if bad != "" {
		return nulError(bad, "the query parameter "+strconv.Quote(bad)+" "+nulMessage)
	}
	body := c.Body()
	if len(body) == 0 {
		return c.Next()
	}
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	switch {
	case strings.HasPrefix(ct, "multipart/"):
		return c.Next()
	case ct == fiber.MIMEApplicationForm:
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if bad == "" && (bytes.IndexByte(k, 0) >= 0 || bytes.IndexByte(v, 0) >= 0) {
				bad = strings.ReplaceAll(string(k), "\x00", "")
				if bad == "" {
					bad = "body"
				}
			}
		})
		if bad != "" {
			return nulError(bad, "the form field "+strconv.Quote(bad)+" "+nulMessage)
		}
	case bytes.IndexByte(body, 0) >= 0:
		return nulError("body", "the request body "+nulMessage)
	case bytes.Contains(body, []byte(`\u0000`)):
		// The escape may be a literal backslash and text ("\\u0000"):
		// only a decoded string with a NUL counts. A body that is no JSON
		// is left to its handler (400).
		var v any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if d.Decode(&v) != nil {
			return c.Next()
		}
		if field, ok := nulField(v, ""); ok {
			if field == "" {
				field = "body"
			}
			return nulError(field, "the request body "+nulMessage)
		}
	}
	return c.Next()
}

func nulError(field, msg string) error {
	return &core.Error{Code: core.CodeInvalid, Message: msg, Fields: map[string]string{field: nulMessage}}
}

// nulField finds a string with a NUL in a decoded JSON value (a key or a
// value) and returns its path, dotted ("custom.note", "lines.2.title").
func nulField(v any, path string) (string, bool) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := v.(type) {
	case string:
		return path, strings.IndexByte(x, 0) >= 0
	case []any:
		for i, e := range x {
			if p, ok := nulField(e, join(strconv.Itoa(i))); ok {
				return p, true
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the same answer every time
		for _, k := range keys {
			if strings.IndexByte(k, 0) >= 0 {
				return join(strings.ReplaceAll(k, "\x00", "")), true
			}
			if p, ok := nulField(x[k], join(k)); ok {
				return p, true
			}
		}
	}
	return "", false
}
