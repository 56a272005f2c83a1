package core

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Note kinds.
var NoteKinds = []string{"note", "call", "meeting", "email", "activity"}

// Note is a note or logged activity on a customer.
type Note struct {
	ID         uuid.UUID  `json:"id" db:"id"`
	CustomerID uuid.UUID  `json:"customer_id" db:"customer_id"`
	Kind       string     `json:"kind" db:"kind"`
	Body       string     `json:"body" db:"body"`
	AuthorID   *uuid.UUID `json:"author_id" db:"author_id"`
	CreatedAt  time.Time  `json:"created_at" db:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at" db:"updated_at"`
}

// NoteUpdate changes a note; it is also the body of a create.
type NoteUpdate struct {
	Kind *string `json:"kind"`
	Body *string `json:"body"`
}

// Apply writes u onto n.
func (u NoteUpdate) Apply(n *Note) {
	setPtr(&n.Kind, u.Kind)
	setPtr(&n.Body, u.Body)
}

// Validate checks a note before it is stored.
func (n *Note) Validate() error {
	f := recFields{}
	f.OneOf("kind", n.Kind, NoteKinds)
	f.Required("body", n.Body, 100000)
	return f.Err()
}

// recFields collects field-level validation messages of linked records,
// keyed by the field's JSON name.
type recFields map[string]string

// Err returns an invalid error carrying the messages, or nil.
func (f recFields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Invalid(f)
}

func (f recFields) Required(name, v string, max int) {
	if strings.TrimSpace(v) == "" {
		f[name] = "is required"
		return
	}
	f.MaxLen(name, v, max)
}

func (f recFields) MaxLen(name, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		f[name] = fmt.Sprintf("must be at most %d characters", max)
	}
}

func (f recFields) OneOf(name, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		f[name] = "must be one of " + strings.Join(allowed, ", ")
	}
}

func (f recFields) Ref(name string, v *string) {
	if v != nil {
		f.Required(name, *v, 200)
	}
}

func (f recFields) Currency(name, v string) {
	if _, ok := CurrencyExponent(v); !ok || strings.ToUpper(v) != v {
		f[name] = "must be a known ISO 4217 code in capitals"
	}
}

func setPtr[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func refOrNil(s string) *string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return &s
}

func idOrNil(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
