package core

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestValidateCustom(t *testing.T) {
	defs := []CustomFieldDef{
		{Key: "employees", Type: FieldNumber},
		{Key: "since", Type: FieldDate},
		{Key: "tier", Type: FieldSelect, Options: []string{"gold", "silver"}, Required: true},
		{Key: "channels", Type: FieldMultiSelect, Options: []string{"web", "shop"}},
		{Key: "note", Type: FieldText},
	}
	got, f := ValidateCustom(defs, map[string]any{
		"employees": "۱٬۲۵۰", "since": "۱۴۰۳-۰۱-۰۱", "tier": " gold ", "channels": []any{"web", "web", "shop"}, "note": "  سلام  ",
	})
	// ۱۴۰۳-۰۱-۰۱ is a Jalali date typed in Persian digits: it would parse
	// as the Gregorian year 1403, so it is refused.
	if len(f) != 1 || f["custom.since"] != "looks like a Jalali date: send the Gregorian date (YYYY-MM-DD)" {
		t.Errorf("fields %v, want only custom.since refused as Jalali", f)
	}
	if got, _ := ValidateCustom(defs, map[string]any{"tier": "gold", "since": "۲۰۲۴-۰۳-۲۰"}); got["since"] != "2024-03-20" {
		t.Errorf("Gregorian date in Persian digits: %v, want 2024-03-20", got["since"])
	}
	if got["employees"] != json.Number("1250") || got["tier"] != "gold" || got["note"] != "سلام" {
		t.Errorf("stored forms %v", got)
	}
	if ch, _ := got["channels"].([]any); len(ch) != 2 {
		t.Errorf("multi-select %v, want [web shop]", got["channels"])
	}
	_, f = ValidateCustom(defs, map[string]any{"employees": 1.5, "since": "2024-02-30", "tier": "bronze", "channels": "web", "nope": 1})
	want := map[string]string{
		"custom.employees": "must be a number", "custom.since": "must be a date (YYYY-MM-DD)",
		"custom.tier": "must be one of: gold, silver", "custom.channels": "must be a list of options", "custom.nope": "no such custom field",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s: %q, want %q", k, f[k], v)
		}
	}
	_, f = ValidateCustom(defs, map[string]any{})
	if f["custom.tier"] != "required" {
		t.Errorf("missing required field: %v", f)
	}
}

func TestCustomerUpdateApply(t *testing.T) {
	owner := uuid.New()
	c := Customer{Name: "Acme", Email: "a@example.com", OwnerID: &owner, Custom: map[string]any{"a": "1", "b": "2"},
		Groups: []GroupRef{{ID: uuid.New()}}, Specialties: []Specialty{{Name: "کتاب"}}}
	in := c.Input()
	name, nilID := "Acme Ltd", uuid.Nil
	CustomerUpdate{Name: &name, OwnerID: &nilID, Custom: map[string]any{"a": nil, "c": "3"}}.Apply(&in)
	if in.Name != "Acme Ltd" || in.Email != "a@example.com" || in.OwnerID != nil {
		t.Errorf("applied: %+v", in)
	}
	if _, ok := in.Custom["a"]; ok || in.Custom["b"] != "2" || in.Custom["c"] != "3" {
		t.Errorf("custom merge: %v", in.Custom)
	}
	if len(in.GroupIDs) != 1 || len(in.Specialties) != 1 {
		t.Errorf("links changed without being given: %+v", in)
	}
	if c.Custom["a"] != "1" {
		t.Error("Apply changed the customer it started from")
	}
}

func TestConsentStamps(t *testing.T) {
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, time.UTC)
	k := NewContact(uuid.New(), ContactInput{FirstName: "A", Email: "a@example.com", EmailConsent: &ConsentInput{Given: true, Source: "form"}}, now)
	if !k.EmailConsent.Given || k.EmailConsent.At == nil || !k.EmailConsent.At.Equal(now) || k.EmailConsent.Source != "form" {
		t.Errorf("consent given: %+v", k.EmailConsent)
	}
	later := now.Add(time.Hour)
	// Restating the same consent keeps its time.
	ContactUpdate{EmailConsent: &ConsentInput{Given: true}}.Apply(&k, later)
	if !k.EmailConsent.At.Equal(now) || k.EmailConsent.Source != "form" {
		t.Errorf("restated consent: %+v", k.EmailConsent)
	}
	ContactUpdate{EmailConsent: &ConsentInput{Given: false, Source: "unsubscribe link"}}.Apply(&k, later)
	if k.EmailConsent.Given || !k.EmailConsent.At.Equal(later) || k.EmailConsent.Source != "unsubscribe link" {
		t.Errorf("withdrawn consent: %+v", k.EmailConsent)
	}
	if f := k.Normalize(later); len(f) != 0 {
		t.Errorf("valid contact: %v", f)
	}
}
