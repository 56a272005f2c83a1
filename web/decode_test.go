package web

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
)

func TestDecodeStrict(t *testing.T) {
	type inner struct {
		City string `json:"city"`
	}
	type body struct {
		Name    string         `json:"name"`
		Count   int64          `json:"count"`
		Owner   *uuid.UUID     `json:"owner"`
		At      *time.Time     `json:"at"`
		Address *inner         `json:"address"`
		Custom  map[string]any `json:"custom"`
	}
	tests := []struct {
		name  string
		in    string
		code  core.Code
		field string
	}{
		{"ok", `{"name":"x","count":3,"owner":"0190b7a2-6a5e-7c3e-9a3b-2f1d0c9e8b7a","at":"2030-01-01T00:00:00Z","address":{"city":"تهران"}}`, "", ""},
		{"empty", ``, core.CodeMalformed, ""},
		{"whitespace", "  \n", core.CodeMalformed, ""},
		{"truncated", `{"name":"x"`, core.CodeMalformed, ""},
		{"syntax", `{"name" "x"}`, core.CodeMalformed, ""},
		{"trailing", `{"name":"x"} {"name":"y"}`, core.CodeMalformed, ""},
		{"not an object", `[1,2]`, core.CodeMalformed, ""},
		{"unknown field", `{"name":"x","colour":"red"}`, core.CodeInvalid, "colour"},
		{"unknown nested field", `{"address":{"town":"x"}}`, core.CodeInvalid, "town"},
		{"float for an integer", `{"count":1.5}`, core.CodeInvalid, "count"},
		{"string for an integer", `{"count":"3"}`, core.CodeInvalid, "count"},
		{"number for a string", `{"name":5}`, core.CodeInvalid, "name"},
		{"bad uuid", `{"owner":"bob"}`, core.CodeInvalid, "owner"},
		{"bad time", `{"at":"tomorrow"}`, core.CodeInvalid, "at"},
	}
	for _, tt := range tests {
		var b body
		err := decodeStrict([]byte(tt.in), &b)
		if tt.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if core.ErrorCode(err) != tt.code {
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
			continue
		}
		if tt.field != "" {
			if e, _ := err.(*core.Error); e == nil || e.Fields[tt.field] == "" {
				t.Errorf("%s: %v, want a message for field %q", tt.name, err, tt.field)
			}
		}
	}
	// Free-form numbers stay exact.
	var b body
	if err := decodeStrict([]byte(`{"custom":{"big":12345678901234567890}}`), &b); err != nil {
		t.Fatal(err)
	}
	if got := b.Custom["big"]; got == nil || got.(interface{ String() string }).String() != "12345678901234567890" {
		t.Errorf("custom number %v, want exact 12345678901234567890", got)
	}
}
