package core

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core/textnorm"
)

// Consent records whether a contact agreed to be reached on a channel,
// when and how (a form, an import, a call…).
type Consent struct {
	Given  bool       `json:"given"`
	At     *time.Time `json:"at"`
	Source string     `json:"source"`
}

// Contact is a person at a customer.
type Contact struct {
	ID           uuid.UUID      `json:"id"`
	CustomerID   uuid.UUID      `json:"customer_id"`
	FirstName    string         `json:"first_name"`
	LastName     string         `json:"last_name"`
	Email        string         `json:"email"`
	Phone        string         `json:"phone"`
	Title        string         `json:"title"`
	Primary      bool           `json:"primary"`
	Active       bool           `json:"active"`
	EmailConsent Consent        `json:"email_consent"`
	SMSConsent   Consent        `json:"sms_consent"`
	Custom       map[string]any `json:"custom"`
	ExternalRef  *string        `json:"external_ref"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// ConsentInput sets a consent: when Given changes, At defaults to now.
type ConsentInput struct {
	Given  bool       `json:"given"`
	At     *time.Time `json:"at,omitempty"`
	Source string     `json:"source,omitempty"`
}

// ContactInput is the body of a contact create.
type ContactInput struct {
	FirstName    string         `json:"first_name"`
	LastName     string         `json:"last_name,omitempty"`
	Email        string         `json:"email,omitempty"`
	Phone        string         `json:"phone,omitempty"`
	Title        string         `json:"title,omitempty"`
	Primary      bool           `json:"primary,omitempty"`
	Active       *bool          `json:"active,omitempty"`
	EmailConsent *ConsentInput  `json:"email_consent,omitempty"`
	SMSConsent   *ConsentInput  `json:"sms_consent,omitempty"`
	Custom       map[string]any `json:"custom,omitempty"`
	ExternalRef  *string        `json:"external_ref,omitempty"`
}

// ContactUpdate changes a contact; nil fields stay as they are. Custom is
// merged key by key (null removes a key); an empty ExternalRef clears it.
type ContactUpdate struct {
	FirstName    *string        `json:"first_name,omitempty"`
	LastName     *string        `json:"last_name,omitempty"`
	Email        *string        `json:"email,omitempty"`
	Phone        *string        `json:"phone,omitempty"`
	Title        *string        `json:"title,omitempty"`
	Primary      *bool          `json:"primary,omitempty"`
	Active       *bool          `json:"active,omitempty"`
	EmailConsent *ConsentInput  `json:"email_consent,omitempty"`
	SMSConsent   *ConsentInput  `json:"sms_consent,omitempty"`
	Custom       map[string]any `json:"custom,omitempty"`
	ExternalRef  *string        `json:"external_ref,omitempty"`
}

// Apply writes u onto c, stamping consent changes with now.
func (u ContactUpdate) Apply(c *Contact, now time.Time) {
	setIfGiven(&c.FirstName, u.FirstName)
	setIfGiven(&c.LastName, u.LastName)
	setIfGiven(&c.Email, u.Email)
	setIfGiven(&c.Phone, u.Phone)
	setIfGiven(&c.Title, u.Title)
	setIfGiven(&c.Primary, u.Primary)
	setIfGiven(&c.Active, u.Active)
	applyConsent(&c.EmailConsent, u.EmailConsent, now)
	applyConsent(&c.SMSConsent, u.SMSConsent, now)
	if u.ExternalRef != nil {
		c.ExternalRef = u.ExternalRef
		if strings.TrimSpace(*u.ExternalRef) == "" {
			c.ExternalRef = nil
		}
	}
	if c.Custom == nil {
		c.Custom = map[string]any{}
	}
	for k, v := range u.Custom {
		if v == nil {
			delete(c.Custom, k)
		} else {
			c.Custom[k] = v
		}
	}
}

func applyConsent(c *Consent, in *ConsentInput, now time.Time) {
	if in == nil {
		return
	}
	changed := in.Given != c.Given
	if changed || in.At != nil {
		at := now
		if in.At != nil {
			at = *in.At
		}
		c.At = &at
	}
	c.Given = in.Given
	if s := strings.TrimSpace(in.Source); s != "" || changed {
		c.Source = s
	}
}

// NewContact builds a contact from its create input, stamping consents
// with now.
func NewContact(customerID uuid.UUID, in ContactInput, now time.Time) Contact {
	c := Contact{
		ID: NewID(), CustomerID: customerID, FirstName: in.FirstName, LastName: in.LastName,
		Email: in.Email, Phone: in.Phone, Title: in.Title, Primary: in.Primary, Active: true,
		Custom: in.Custom, ExternalRef: in.ExternalRef,
	}
	if in.Active != nil {
		c.Active = *in.Active
	}
	if c.Custom == nil {
		c.Custom = map[string]any{}
	}
	applyConsent(&c.EmailConsent, in.EmailConsent, now)
	applyConsent(&c.SMSConsent, in.SMSConsent, now)
	return c
}

// Normalize trims and normalises a contact and returns field messages;
// custom values are checked separately against their definitions.
func (c *Contact) Normalize(now time.Time) map[string]string {
	f := map[string]string{}
	c.FirstName = strings.Join(strings.Fields(c.FirstName), " ")
	c.LastName = strings.Join(strings.Fields(c.LastName), " ")
	c.Title = strings.TrimSpace(c.Title)
	if c.FirstName == "" && c.LastName == "" {
		f["first_name"] = "a first or last name is required"
	}
	if utf8.RuneCountInString(c.FirstName) > 100 {
		f["first_name"] = "at most 100 characters"
	}
	if utf8.RuneCountInString(c.LastName) > 100 {
		f["last_name"] = "at most 100 characters"
	}
	normEmail(&c.Email, "email", f)
	normPhone(&c.Phone, "phone", f)
	for name, cs := range map[string]*Consent{"email_consent": &c.EmailConsent, "sms_consent": &c.SMSConsent} {
		cs.Source = strings.TrimSpace(cs.Source)
		if cs.At != nil && cs.At.After(now.Add(time.Minute)) {
			f[name+".at"] = "must not be in the future"
		}
	}
	if c.EmailConsent.Given && c.Email == "" {
		f["email_consent"] = "email consent needs an email address"
	}
	if c.SMSConsent.Given && c.Phone == "" {
		f["sms_consent"] = "SMS consent needs a phone number"
	}
	if c.ExternalRef != nil {
		r := strings.TrimSpace(*c.ExternalRef)
		if r == "" {
			c.ExternalRef = nil
		} else {
			c.ExternalRef = &r
		}
	}
	return f
}

// SearchText is what a contact is found by, in textnorm's search form.
func (c *Contact) SearchText() string {
	parts := []string{textnorm.Search(c.FirstName), textnorm.Search(c.LastName), textnorm.Search(c.Email), textnorm.Phone(c.Phone)}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// CustomFieldType is the type of a tenant-defined field.
type CustomFieldType string

// Custom field types.
const (
	FieldText        CustomFieldType = "text"
	FieldNumber      CustomFieldType = "number"
	FieldDate        CustomFieldType = "date"
	FieldSelect      CustomFieldType = "select"
	FieldMultiSelect CustomFieldType = "multi_select"
)

// CustomFieldDef defines a tenant's custom field on customers or
// contacts. Values live in the entity's custom jsonb under Key.
type CustomFieldDef struct {
	ID        uuid.UUID       `json:"id"`
	Entity    string          `json:"entity"`
	Key       string          `json:"key"`
	Label     string          `json:"label"`
	Type      CustomFieldType `json:"type"`
	Options   []string        `json:"options"`
	Required  bool            `json:"required"`
	Position  int             `json:"position"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// CustomFieldDefInput is the body of a definition create.
type CustomFieldDefInput struct {
	Entity   string          `json:"entity"`
	Key      string          `json:"key"`
	Label    string          `json:"label"`
	Type     CustomFieldType `json:"type"`
	Options  []string        `json:"options,omitempty"`
	Required bool            `json:"required,omitempty"`
	Position int             `json:"position,omitempty"`
}

// CustomFieldDefUpdate changes a definition; entity, key and type are
// fixed once values exist, so they cannot be changed.
type CustomFieldDefUpdate struct {
	Label    *string   `json:"label,omitempty"`
	Options  *[]string `json:"options,omitempty"`
	Required *bool     `json:"required,omitempty"`
	Position *int      `json:"position,omitempty"`
}

// Apply writes u onto in.
func (u CustomFieldDefUpdate) Apply(in *CustomFieldDefInput) {
	setIfGiven(&in.Label, u.Label)
	setIfGiven(&in.Options, u.Options)
	setIfGiven(&in.Required, u.Required)
	setIfGiven(&in.Position, u.Position)
}

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// ValidFieldKey reports whether k may name a custom field.
func ValidFieldKey(k string) bool { return fieldKeyRE.MatchString(k) }

// Normalize trims the definition and returns field messages.
func (in *CustomFieldDefInput) Normalize() map[string]string {
	f := map[string]string{}
	if in.Entity != "customer" && in.Entity != "contact" {
		f["entity"] = "must be customer or contact"
	}
	in.Key = strings.TrimSpace(in.Key)
	if !ValidFieldKey(in.Key) {
		f["key"] = "use 1–40 lowercase letters, digits or underscores, starting with a letter"
	}
	in.Label = strings.TrimSpace(in.Label)
	if in.Label == "" {
		f["label"] = "required"
	}
	switch in.Type {
	case FieldText, FieldNumber, FieldDate:
		if len(in.Options) > 0 {
			f["options"] = "only select and multi_select fields have options"
		}
	case FieldSelect, FieldMultiSelect:
		opts, seen := []string{}, map[string]bool{}
		for _, o := range in.Options {
			o = strings.TrimSpace(o)
			if o != "" && !seen[o] {
				seen[o] = true
				opts = append(opts, o)
			}
		}
		in.Options = opts
		if len(opts) == 0 {
			f["options"] = "a select field needs at least one option"
		}
	default:
		f["type"] = "must be text, number, date, select or multi_select"
	}
	if in.Options == nil {
		in.Options = []string{}
	}
	return f
}

// ValidateCustom checks values against the definitions of an entity and
// returns them in their stored form: text trimmed, numbers as exact JSON
// numbers (Persian and Arabic-Indic digits accepted), dates as
// YYYY-MM-DD, select values among the options. Field messages are keyed
// "custom.<key>". Required fields must be present.
func ValidateCustom(defs []CustomFieldDef, values map[string]any) (map[string]any, map[string]string) {
	f := map[string]string{}
	out := map[string]any{}
	byKey := map[string]CustomFieldDef{}
	for _, d := range defs {
		byKey[d.Key] = d
	}
	for k, v := range values {
		d, ok := byKey[k]
		if !ok {
			f["custom."+k] = "no such custom field"
			continue
		}
		if v == nil {
			continue
		}
		sv, msg := CustomValue(d, v)
		if msg != "" {
			f["custom."+k] = msg
			continue
		}
		if sv != nil {
			out[k] = sv
		}
	}
	for _, d := range defs {
		if _, ok := out[d.Key]; d.Required && !ok {
			if _, bad := f["custom."+d.Key]; !bad {
				f["custom."+d.Key] = "required"
			}
		}
	}
	return out, f
}

// CustomValue returns v in its stored form (nil for an empty value) or a
// message.
func CustomValue(d CustomFieldDef, v any) (any, string) {
	str := func() (string, bool) {
		switch x := v.(type) {
		case string:
			return x, true
		case json.Number:
			return x.String(), true
		case float64:
			return "", false // a float never carries an exact value here
		}
		return "", false
	}
	switch d.Type {
	case FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, "must be text"
		}
		s = strings.TrimSpace(s)
		if utf8.RuneCountInString(s) > 2000 {
			return nil, "at most 2000 characters"
		}
		if s == "" {
			return nil, ""
		}
		return s, ""
	case FieldNumber:
		s, ok := str()
		if !ok {
			return nil, "must be a number"
		}
		if strings.TrimSpace(s) == "" {
			return nil, ""
		}
		dec, err := textnorm.ParseDecimal(s)
		if err != nil || len(dec) > 40 {
			return nil, "must be a number"
		}
		return json.Number(dec), ""
	case FieldDate:
		s, ok := v.(string)
		if !ok {
			return nil, "must be a date (YYYY-MM-DD)"
		}
		s = strings.TrimSpace(textnorm.Digits(s))
		if s == "" {
			return nil, ""
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return nil, "must be a date (YYYY-MM-DD)"
		}
		if t.Year() < 1800 {
			// 1403-01-01 is a Jalali date, which would be stored as a
			// Gregorian day six centuries ago.
			return nil, "looks like a Jalali date: send the Gregorian date (YYYY-MM-DD)"
		}
		return t.Format(time.DateOnly), ""
	case FieldSelect:
		s, ok := v.(string)
		if !ok {
			return nil, "must be one of the options"
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, ""
		}
		if !slices.Contains(d.Options, s) {
			return nil, fmt.Sprintf("must be one of: %s", strings.Join(d.Options, ", "))
		}
		return s, ""
	case FieldMultiSelect:
		arr, ok := v.([]any)
		if !ok {
			return nil, "must be a list of options"
		}
		out := []any{}
		seen := map[string]bool{}
		for _, e := range arr {
			s, ok := e.(string)
			if !ok || !slices.Contains(d.Options, strings.TrimSpace(s)) {
				return nil, fmt.Sprintf("each value must be one of: %s", strings.Join(d.Options, ", "))
			}
			s = strings.TrimSpace(s)
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			return nil, ""
		}
		return out, ""
	}
	return nil, "unknown field type"
}
