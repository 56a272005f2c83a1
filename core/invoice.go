package core

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Invoice kinds and statuses.
var (
	InvoiceKinds    = []string{"invoice", "credit_note"}
	InvoiceStatuses = []string{"unpaid", "partial", "paid", "overdue", "cancelled"}
)

// Invoice is an invoice or a credit note (negative total) of a customer.
// Status is kept by the store from the payments and the due date, except
// cancelled, which only a user sets.
type Invoice struct {
	ID          uuid.UUID     `json:"id" db:"id"`
	CustomerID  uuid.UUID     `json:"customer_id" db:"customer_id"`
	Number      string        `json:"number" db:"number"`
	Kind        string        `json:"kind" db:"kind"`
	CreditOf    *uuid.UUID    `json:"credit_of" db:"credit_of"`
	IssuedOn    Date          `json:"issued_on" db:"issued_on"`
	DueOn       *Date         `json:"due_on" db:"due_on"`
	Currency    string        `json:"currency" db:"currency"`
	Total       int64         `json:"total" db:"total"`
	PaidTotal   int64         `json:"paid_total" db:"paid_total"`
	Status      string        `json:"status" db:"status"`
	ExternalRef *string       `json:"external_ref" db:"external_ref"`
	CreatedAt   time.Time     `json:"created_at" db:"created_at"`
	UpdatedAt   time.Time     `json:"updated_at" db:"updated_at"`
	Lines       []InvoiceLine `json:"lines" db:"-"`
}

// InvoiceLine is one line of an invoice. Amount = Quantity × UnitPrice,
// rounded half away from zero to the currency's minor unit.
type InvoiceLine struct {
	Position  int      `json:"position" db:"position"`
	Product   string   `json:"product" db:"product"`
	Category  string   `json:"category" db:"category"`
	Quantity  Quantity `json:"quantity" db:"quantity"`
	UnitPrice int64    `json:"unit_price" db:"unit_price"`
	Amount    int64    `json:"amount" db:"amount"`
}

// InvoiceUpdate changes an invoice; it is also the body of a create, where
// number, issued_on, currency and either total or lines are required.
// Lines, when given, replace all lines and the total follows them.
type InvoiceUpdate struct {
	CustomerID  *uuid.UUID         `json:"customer_id"`
	Number      *string            `json:"number"`
	Kind        *string            `json:"kind"`
	CreditOf    *uuid.UUID         `json:"credit_of"`
	IssuedOn    *Date              `json:"issued_on"`
	DueOn       *Date              `json:"due_on"`
	Currency    *string            `json:"currency"`
	Total       *int64             `json:"total"`
	Cancelled   *bool              `json:"cancelled"`
	ExternalRef *string            `json:"external_ref"`
	Lines       *[]InvoiceLineData `json:"lines"`
}

// InvoiceLineData is a line as clients send it: the amount is computed.
type InvoiceLineData struct {
	Product   string   `json:"product"`
	Category  string   `json:"category"`
	Quantity  Quantity `json:"quantity"`
	UnitPrice int64    `json:"unit_price"`
}

// Apply writes u onto inv, recomputing lines and the total.
func (u InvoiceUpdate) Apply(inv *Invoice) {
	if u.CustomerID != nil {
		inv.CustomerID = *u.CustomerID
	}
	setPtr(&inv.Number, u.Number)
	setPtr(&inv.Kind, u.Kind)
	if u.CreditOf != nil {
		inv.CreditOf = idOrNil(*u.CreditOf)
	}
	setPtr(&inv.IssuedOn, u.IssuedOn)
	if u.DueOn != nil {
		d := *u.DueOn
		inv.DueOn = &d
		if d.IsZero() {
			inv.DueOn = nil
		}
	}
	setPtr(&inv.Currency, u.Currency)
	if u.ExternalRef != nil {
		inv.ExternalRef = refOrNil(*u.ExternalRef)
	}
	if u.Cancelled != nil {
		if *u.Cancelled {
			inv.Status = "cancelled"
		} else if inv.Status == "cancelled" {
			inv.Status = "unpaid" // the store recomputes it
		}
	}
	if u.Lines != nil {
		inv.Lines = inv.Lines[:0]
		for i, l := range *u.Lines {
			inv.Lines = append(inv.Lines, InvoiceLine{
				Position: i + 1, Product: strings.TrimSpace(l.Product), Category: strings.TrimSpace(l.Category),
				Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			})
		}
	}
	for i := range inv.Lines {
		inv.Lines[i].Amount = inv.Lines[i].Quantity.Times(inv.Lines[i].UnitPrice)
	}
	if u.Total != nil {
		inv.Total = *u.Total
	} else if u.Lines != nil {
		inv.Total = inv.LinesTotal()
	}
}

// LinesTotal is the sum of the line amounts.
func (inv *Invoice) LinesTotal() int64 {
	var t int64
	for _, l := range inv.Lines {
		t += l.Amount
	}
	return t
}

// Validate checks an invoice before it is stored.
func (inv *Invoice) Validate() error {
	f := recFields{}
	if inv.CustomerID == uuid.Nil {
		f["customer_id"] = "is required"
	}
	f.Required("number", inv.Number, 100)
	f.OneOf("kind", inv.Kind, InvoiceKinds)
	f.Currency("currency", inv.Currency)
	f.Ref("external_ref", inv.ExternalRef)
	if inv.IssuedOn.IsZero() {
		f["issued_on"] = "is required"
	}
	if inv.DueOn != nil && !inv.IssuedOn.IsZero() && inv.DueOn.Before(inv.IssuedOn.Time) {
		f["due_on"] = "must not be before issued_on"
	}
	switch {
	case inv.Kind == "invoice" && inv.Total < 0:
		f["total"] = "must not be negative on an invoice; use a credit note"
	case inv.Kind == "credit_note" && inv.Total > 0:
		f["total"] = "must be negative or zero on a credit note"
	}
	if inv.CreditOf != nil && inv.Kind != "credit_note" {
		f["credit_of"] = "only a credit note corrects another invoice"
	}
	for i, l := range inv.Lines {
		p := fmt.Sprintf("lines[%d].", i)
		f.MaxLen(p+"product", l.Product, 300)
		f.MaxLen(p+"category", l.Category, 200)
		if !l.Quantity.Valid() {
			f[p+"quantity"] = "out of range"
		}
		if l.Amount == overflowAmount {
			f[p+"quantity"] = "quantity × unit_price is out of range"
		}
	}
	if len(inv.Lines) > 0 && inv.Total != inv.LinesTotal() {
		f["total"] = fmt.Sprintf("must equal the sum of the lines (%d)", inv.LinesTotal())
	}
	return f.Err()
}

// Quantity is an exact decimal with four places (numeric(18,4)), held as
// ten-thousandths; JSON carries it as a string or a number, never a float.
type Quantity int64

// QuantityScale is the number of decimals a Quantity keeps.
const QuantityScale = 4

const maxQuantity = 99999999999999_9999 // numeric(18,4)

// overflowAmount marks a line amount that does not fit in int64.
const overflowAmount = -1 << 63

// NewQuantity returns the whole quantity n.
func NewQuantity(n int64) Quantity { return Quantity(n * 10000) }

// ParseQuantity parses a quantity written like ParseMoney accepts.
func ParseQuantity(s string) (Quantity, error) {
	v, err := ParseDecimal(s, QuantityScale)
	if err != nil {
		return 0, err
	}
	q := Quantity(v)
	if !q.Valid() {
		return 0, ErrNumberRange
	}
	return q, nil
}

// Valid reports whether q fits numeric(18,4).
func (q Quantity) Valid() bool { return q <= maxQuantity && q >= -maxQuantity }

// Times returns q × price rounded half away from zero, computed exactly;
// an amount outside int64 yields overflowAmount, which Validate rejects.
func (q Quantity) Times(price int64) int64 {
	p := new(big.Int).Mul(big.NewInt(int64(q)), big.NewInt(price))
	neg := p.Sign() < 0
	p.Abs(p)
	quo, rem := new(big.Int).QuoRem(p, big.NewInt(10000), new(big.Int))
	if rem.Int64()*2 >= 10000 {
		quo.Add(quo, big.NewInt(1))
	}
	if !quo.IsInt64() {
		return overflowAmount
	}
	if neg {
		return -quo.Int64()
	}
	return quo.Int64()
}

func (q Quantity) String() string { return trimZeros(FormatDecimal(int64(q), QuantityScale)) }

// MarshalText writes the quantity as an exact decimal ("1.5").
func (q Quantity) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// MarshalJSON writes the quantity as a JSON string ("1.5").
func (q Quantity) MarshalJSON() ([]byte, error) { return json.Marshal(q.String()) }

// UnmarshalJSON reads a JSON number or string exactly.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	s := string(b)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	v, err := ParseQuantity(s)
	if err != nil {
		return fmt.Errorf("quantity %s: %w", s, err)
	}
	*q = v
	return nil
}

// Scan reads a numeric(18,4) column.
func (q *Quantity) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case []byte:
		s = string(v)
	case string:
		s = v
	case int64:
		*q = NewQuantity(v)
		return nil
	default:
		return fmt.Errorf("quantity: cannot scan %T", src)
	}
	v, err := ParseDecimal(s, QuantityScale)
	if err != nil {
		return fmt.Errorf("quantity %q: %w", s, err)
	}
	*q = Quantity(v)
	return nil
}

// Value writes the quantity as an exact decimal string.
func (q Quantity) Value() (driver.Value, error) { return FormatDecimal(int64(q), QuantityScale), nil }

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// Date is a calendar day, written as YYYY-MM-DD. The zero Date means none.
type Date struct{ time.Time }

// NewDate returns the day y-m-d.
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// ParseDate reads YYYY-MM-DD, with ASCII, Persian or Arabic-Indic digits.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(FoldDigits(s)))
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	return Date{t}, nil
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// MarshalText writes YYYY-MM-DD ("" for the zero Date).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// MarshalJSON writes "YYYY-MM-DD" or null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD".
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date is a string YYYY-MM-DD")
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Scan reads a date column.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		*d = NewDate(v.Year(), v.Month(), v.Day())
	case []byte:
		return d.UnmarshalJSON([]byte(`"` + string(v) + `"`))
	case string:
		return d.UnmarshalJSON([]byte(`"` + v + `"`))
	default:
		return fmt.Errorf("date: cannot scan %T", src)
	}
	return nil
}

// Value writes the day as YYYY-MM-DD, or NULL for the zero Date.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}
