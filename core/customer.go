package core

import (
	"encoding/json"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core/textnorm"
)

// CustomerStatus is a customer's lifecycle status (DESIGN §1).
type CustomerStatus string

// Customer statuses. Legacy is set by a user or an import, never by
// scoring.
const (
	CustomerActive   CustomerStatus = "active"
	CustomerInactive CustomerStatus = "inactive"
	CustomerLegacy   CustomerStatus = "legacy"
)

// CustomerStatuses lists every status, in tab order.
var CustomerStatuses = []CustomerStatus{CustomerActive, CustomerInactive, CustomerLegacy}

// Valid reports whether s is a known status.
func (s CustomerStatus) Valid() bool {
	return s == CustomerActive || s == CustomerInactive || s == CustomerLegacy
}

// Address is a postal address; Country is an ISO 3166-1 alpha-2 code.
type Address struct {
	Street     string `json:"street"`
	City       string `json:"city"`
	Province   string `json:"province"`
	PostalCode string `json:"postal_code"`
	Country    string `json:"country"`
}

// Customer is a company the tenant sells to: the centre of the 360°
// profile.
type Customer struct {
	ID              uuid.UUID      `json:"id"`
	Name            string         `json:"name"`
	Email           string         `json:"email"`
	Phone           string         `json:"phone"`
	Website         string         `json:"website"`
	VATID           string         `json:"vat_id"`
	Status          CustomerStatus `json:"status"`
	OwnerID         *uuid.UUID     `json:"owner_id"`
	Source          string         `json:"source"`
	Billing         Address        `json:"billing_address"`
	Shipping        Address        `json:"shipping_address"`
	ValueAddedDeals int            `json:"value_added_deals"`
	Groups          []GroupRef     `json:"groups"`
	Specialties     []Specialty    `json:"specialties"`
	Custom          map[string]any `json:"custom"`
	ExternalRef     *string        `json:"external_ref"`
	LastPurchaseOn  *string        `json:"last_purchase_on"`
	// Forecast and Score are score fields (DESIGN §4): left out for a
	// role without scores:read.
	Forecast  *SalesForecast `json:"sales_forecast,omitempty"`
	Score     *CustomerScore `json:"score,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// WithoutScores drops every score field, for a role without scores:read.
func (c *Customer) WithoutScores() {
	c.Forecast = nil
	c.Score = nil
}

// SalesForecast is the customer's next expected purchase or renewal: the
// system's forecast written by scoring, and a user's override that wins
// until it is cleared or its date passes.
type SalesForecast struct {
	// At is the forecast in effect: the override while it holds, else the
	// system's.
	At       *time.Time `json:"at"`
	SystemAt *time.Time `json:"system_at"`
	// Verdict is the system's verdict (expected purchases and spend over
	// the next 90 days, risk level), as written by scoring.
	Verdict  json.RawMessage   `json:"verdict,omitempty"`
	Override *ForecastOverride `json:"override,omitempty"`
}

// ForecastOverride records a user's override of the forecast time.
type ForecastOverride struct {
	At    time.Time `json:"at"`
	By    uuid.UUID `json:"by"`
	SetAt time.Time `json:"set_at"`
}

// CustomerScore is the latest score summary shown on customers (the full
// explanation belongs to scoring).
type CustomerScore struct {
	Risk       float64   `json:"risk"`
	RiskLevel  string    `json:"risk_level"`
	CLV        int64     `json:"clv"`
	Segment    string    `json:"segment"`
	Health     *int      `json:"health"`
	ComputedAt time.Time `json:"computed_at"`
}

// CustomerInput is the body of a customer create: everything a user or an
// integration may set. Groups are named by id, specialties by name (they
// are tags, created on first use).
type CustomerInput struct {
	Name            string         `json:"name"`
	Email           string         `json:"email,omitempty"`
	Phone           string         `json:"phone,omitempty"`
	Website         string         `json:"website,omitempty"`
	VATID           string         `json:"vat_id,omitempty"`
	Status          CustomerStatus `json:"status,omitempty"`
	OwnerID         *uuid.UUID     `json:"owner_id,omitempty"`
	Source          string         `json:"source,omitempty"`
	Billing         *Address       `json:"billing_address,omitempty"`
	Shipping        *Address       `json:"shipping_address,omitempty"`
	ValueAddedDeals int            `json:"value_added_deals,omitempty"`
	GroupIDs        []uuid.UUID    `json:"group_ids,omitempty"`
	Specialties     []string       `json:"specialties,omitempty"`
	Custom          map[string]any `json:"custom,omitempty"`
	ExternalRef     *string        `json:"external_ref,omitempty"`
}

// CustomerUpdate changes a customer; nil fields stay as they are. An empty
// OwnerID (the nil UUID) clears the owner; an empty ExternalRef clears it.
// Custom is merged key by key, and a null value removes a key. GroupIDs and
// Specialties, when given, replace the whole set.
type CustomerUpdate struct {
	Name            *string         `json:"name,omitempty"`
	Email           *string         `json:"email,omitempty"`
	Phone           *string         `json:"phone,omitempty"`
	Website         *string         `json:"website,omitempty"`
	VATID           *string         `json:"vat_id,omitempty"`
	Status          *CustomerStatus `json:"status,omitempty"`
	OwnerID         *uuid.UUID      `json:"owner_id,omitempty"`
	Source          *string         `json:"source,omitempty"`
	Billing         *Address        `json:"billing_address,omitempty"`
	Shipping        *Address        `json:"shipping_address,omitempty"`
	ValueAddedDeals *int            `json:"value_added_deals,omitempty"`
	GroupIDs        *[]uuid.UUID    `json:"group_ids,omitempty"`
	Specialties     *[]string       `json:"specialties,omitempty"`
	Custom          map[string]any  `json:"custom,omitempty"`
	ExternalRef     *string         `json:"external_ref,omitempty"`
}

// Input returns the customer as a full input, the starting point an
// update is applied to.
func (c *Customer) Input() CustomerInput {
	in := CustomerInput{
		Name: c.Name, Email: c.Email, Phone: c.Phone, Website: c.Website, VATID: c.VATID,
		Status: c.Status, OwnerID: c.OwnerID, Source: c.Source, ValueAddedDeals: c.ValueAddedDeals,
		ExternalRef: c.ExternalRef, Custom: map[string]any{},
	}
	b, s := c.Billing, c.Shipping
	in.Billing, in.Shipping = &b, &s
	for _, g := range c.Groups {
		in.GroupIDs = append(in.GroupIDs, g.ID)
	}
	for _, sp := range c.Specialties {
		in.Specialties = append(in.Specialties, sp.Name)
	}
	for k, v := range c.Custom {
		in.Custom[k] = v
	}
	return in
}

// Apply writes u onto in. Custom values are merged; a nil value removes
// the key (validation then checks required fields).
func (u CustomerUpdate) Apply(in *CustomerInput) {
	setIfGiven(&in.Name, u.Name)
	setIfGiven(&in.Email, u.Email)
	setIfGiven(&in.Phone, u.Phone)
	setIfGiven(&in.Website, u.Website)
	setIfGiven(&in.VATID, u.VATID)
	setIfGiven(&in.Status, u.Status)
	setIfGiven(&in.Source, u.Source)
	setIfGiven(&in.ValueAddedDeals, u.ValueAddedDeals)
	if u.OwnerID != nil {
		in.OwnerID = u.OwnerID
		if *u.OwnerID == uuid.Nil {
			in.OwnerID = nil
		}
	}
	if u.ExternalRef != nil {
		in.ExternalRef = u.ExternalRef
		if strings.TrimSpace(*u.ExternalRef) == "" {
			in.ExternalRef = nil
		}
	}
	if u.Billing != nil {
		in.Billing = u.Billing
	}
	if u.Shipping != nil {
		in.Shipping = u.Shipping
	}
	if u.GroupIDs != nil {
		in.GroupIDs = *u.GroupIDs
	}
	if u.Specialties != nil {
		in.Specialties = *u.Specialties
	}
	if in.Custom == nil {
		in.Custom = map[string]any{}
	}
	for k, v := range u.Custom {
		if v == nil {
			delete(in.Custom, k)
		} else {
			in.Custom[k] = v
		}
	}
}

func setIfGiven[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

var (
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	emailRE   = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// Normalize trims and normalises the input (ASCII digits in phones, upper
// case countries, lower case email) and returns field messages for what
// is invalid; custom values are checked separately against their
// definitions.
func (in *CustomerInput) Normalize() map[string]string {
	f := map[string]string{}
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		f["name"] = "required"
	case utf8.RuneCountInString(in.Name) > 200:
		f["name"] = "at most 200 characters"
	}
	normEmail(&in.Email, "email", f)
	normPhone(&in.Phone, "phone", f)
	in.Website = strings.TrimSpace(in.Website)
	if len(in.Website) > 300 {
		f["website"] = "at most 300 characters"
	}
	in.VATID = strings.TrimSpace(textnorm.Digits(in.VATID))
	if len(in.VATID) > 50 {
		f["vat_id"] = "at most 50 characters"
	}
	if in.Status == "" {
		in.Status = CustomerActive
	}
	if !in.Status.Valid() {
		f["status"] = "must be active, inactive or legacy"
	}
	if in.OwnerID != nil && *in.OwnerID == uuid.Nil {
		in.OwnerID = nil
	}
	in.Source = strings.TrimSpace(in.Source)
	if in.Billing == nil {
		in.Billing = &Address{}
	}
	if in.Shipping == nil {
		in.Shipping = &Address{}
	}
	normAddress(in.Billing, "billing_address", f)
	normAddress(in.Shipping, "shipping_address", f)
	if in.ValueAddedDeals < 0 {
		f["value_added_deals"] = "must not be negative"
	}
	seen := map[uuid.UUID]bool{}
	ids := in.GroupIDs[:0:0]
	for _, id := range in.GroupIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	in.GroupIDs = ids
	names, seenName := []string{}, map[string]bool{}
	for i, s := range in.Specialties {
		s = strings.Join(strings.Fields(s), " ")
		k := textnorm.Search(s)
		switch {
		case k == "":
			f["specialties."+strconv.Itoa(i)] = "must not be empty"
		case utf8.RuneCountInString(s) > 80:
			f["specialties."+strconv.Itoa(i)] = "at most 80 characters"
		case !seenName[k]:
			seenName[k] = true
			names = append(names, s)
		}
	}
	in.Specialties = names
	if in.ExternalRef != nil {
		r := strings.TrimSpace(*in.ExternalRef)
		if r == "" {
			in.ExternalRef = nil
		} else {
			in.ExternalRef = &r
		}
	}
	if in.Custom == nil {
		in.Custom = map[string]any{}
	}
	return f
}

// SearchText is what a customer is found by: name, email, phone digits and
// VAT id, in textnorm's search form. Stored in search_norm.
func (in *CustomerInput) SearchText() string {
	parts := []string{textnorm.Search(in.Name), textnorm.Search(in.Email), textnorm.Phone(in.Phone), textnorm.Search(in.VATID)}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

func normEmail(s *string, field string, f map[string]string) {
	*s = strings.ToLower(strings.TrimSpace(*s))
	if *s == "" {
		return
	}
	if _, err := mail.ParseAddress(*s); err != nil || !emailRE.MatchString(*s) || len(*s) > 254 {
		f[field] = "not a valid email address"
	}
}

func normPhone(s *string, field string, f map[string]string) {
	*s = strings.Join(strings.Fields(textnorm.Digits(*s)), " ")
	if *s == "" {
		return
	}
	if d := textnorm.Phone(*s); len(d) < 4 || len(d) > 20 || !textnorm.LooksLikePhone(*s) {
		f[field] = "not a valid phone number"
	}
}

func normAddress(a *Address, field string, f map[string]string) {
	a.Street = strings.TrimSpace(a.Street)
	a.City = strings.TrimSpace(a.City)
	a.Province = strings.TrimSpace(a.Province)
	a.PostalCode = strings.TrimSpace(textnorm.Digits(a.PostalCode))
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	if a.Country != "" && !countryRE.MatchString(a.Country) {
		f[field+".country"] = "use a two-letter ISO 3166 country code"
	}
}

// CustomerSort names a list order. A leading "-" reverses it.
type CustomerSort string

// Sorts; score sorts need scores:read.
const (
	SortName         CustomerSort = "name"
	SortCreated      CustomerSort = "created"
	SortUpdated      CustomerSort = "updated"
	SortLastPurchase CustomerSort = "last_purchase"
	SortCLV          CustomerSort = "clv"
	SortRisk         CustomerSort = "risk"
	SortNextPurchase CustomerSort = "next_purchase"
)

// Key returns the sort without its direction, and whether it descends.
func (s CustomerSort) Key() (CustomerSort, bool) {
	if strings.HasPrefix(string(s), "-") {
		return s[1:], true
	}
	return s, false
}

// IsScore reports whether the sort uses score fields.
func (s CustomerSort) IsScore() bool {
	k, _ := s.Key()
	return k == SortCLV || k == SortRisk || k == SortNextPurchase
}

// CustomFilterOp is how a custom-field filter compares.
type CustomFilterOp string

// Custom-field filter operators: eq (any of the values), gte and lte (for
// numbers and dates).
const (
	CustomEq  CustomFilterOp = "eq"
	CustomGte CustomFilterOp = "gte"
	CustomLte CustomFilterOp = "lte"
)

// CustomFilter filters on one custom field.
type CustomFilter struct {
	Key    string
	Op     CustomFilterOp
	Values []string
}

// CustomerFilter selects customers for lists, counts and exports.
// Repeated values within a field mean any-of; fields combine with AND.
type CustomerFilter struct {
	Status      []CustomerStatus
	GroupIDs    []uuid.UUID
	VIP         *bool
	Specialties []string // names or ids
	Countries   []string
	Provinces   []string
	Cities      []string
	OwnerIDs    []uuid.UUID
	Custom      []CustomFilter
	Q           string
	// Score filters (need scores:read).
	RiskLevels []string
	Segments   []string
	MinCLV     *int64
	MaxCLV     *int64

	Sort   CustomerSort
	Cursor string
	Limit  int
}

// UsesScores reports whether the filter filters or sorts on score fields.
func (f *CustomerFilter) UsesScores() bool {
	return len(f.RiskLevels) > 0 || len(f.Segments) > 0 || f.MinCLV != nil || f.MaxCLV != nil || f.Sort.IsScore()
}

// CustomerPage is one page of a customer list.
type CustomerPage struct {
	Items []Customer `json:"items"`
	// NextCursor fetches the next page; empty on the last.
	NextCursor string `json:"next_cursor"`
}

// CustomerCounts are the counts behind the status tabs.
type CustomerCounts struct {
	All      int `json:"all"`
	Active   int `json:"active"`
	Inactive int `json:"inactive"`
	Legacy   int `json:"legacy"`
}

// Specialty is a tag for a customer's industries and interests.
type Specialty struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// GroupRef names a group on a customer.
type GroupRef struct {
	ID    uuid.UUID `json:"id"`
	Name  string    `json:"name"`
	IsVIP bool      `json:"is_vip"`
}

// Group is a tenant-defined customer group; a VIP group marks its
// customers as VIPs.
type Group struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	IsVIP       bool      `json:"is_vip"`
	Description string    `json:"description"`
	Customers   int       `json:"customers"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// GroupInput is the body of a group create.
type GroupInput struct {
	Name        string `json:"name"`
	IsVIP       bool   `json:"is_vip,omitempty"`
	Description string `json:"description,omitempty"`
}

// GroupUpdate changes a group; nil fields stay as they are.
type GroupUpdate struct {
	Name        *string `json:"name,omitempty"`
	IsVIP       *bool   `json:"is_vip,omitempty"`
	Description *string `json:"description,omitempty"`
}

// Apply writes u onto in.
func (u GroupUpdate) Apply(in *GroupInput) {
	setIfGiven(&in.Name, u.Name)
	setIfGiven(&in.IsVIP, u.IsVIP)
	setIfGiven(&in.Description, u.Description)
}

// Normalize trims the input and returns field messages.
func (in *GroupInput) Normalize() map[string]string {
	f := map[string]string{}
	in.Name = strings.Join(strings.Fields(in.Name), " ")
	in.Description = strings.TrimSpace(in.Description)
	switch {
	case in.Name == "":
		f["name"] = "required"
	case utf8.RuneCountInString(in.Name) > 100:
		f["name"] = "at most 100 characters"
	}
	return f
}

// Profile is the 360° read model of one customer: the customer with its
// contacts, groups, specialties, addresses, custom values and forecast,
// and the sections the linked records fill (counts, totals, recent
// records, timeline). Every section is always present, empty when there
// is nothing, so the UI can rely on the shape.
type Profile struct {
	Customer Customer        `json:"customer"`
	Contacts []Contact       `json:"contacts"`
	Counts   ProfileCounts   `json:"counts"`
	Totals   ProfileTotals   `json:"totals"`
	Recent   ProfileRecent   `json:"recent"`
	Timeline []TimelineEntry `json:"timeline"`
	// TimelineNextCursor fetches the timeline's next page from
	// /api/v1/customers/{id}/timeline; empty when there is no more.
	TimelineNextCursor string           `json:"timeline_next_cursor"`
	Fields             []CustomFieldDef `json:"custom_fields"`
}

// ProfileCounts counts the records hanging off the customer.
type ProfileCounts struct {
	Contacts    int `json:"contacts"`
	Notes       int `json:"notes"`
	OpenTasks   int `json:"open_tasks"`
	Tickets     int `json:"tickets"`
	OpenTickets int `json:"open_tickets"`
	Contracts   int `json:"contracts"`
	Proposals   int `json:"proposals"`
	Invoices    int `json:"invoices"`
	Payments    int `json:"payments"`
	Referrals   int `json:"referrals"`
	// ReferralsReceived counts referrals that brought this customer
	// (Referrals counts those it made).
	ReferralsReceived int `json:"referrals_received"`
	Rewards           int `json:"rewards"`
	OverdueInvoices   int `json:"overdue_invoices"`
}

// ProfileTotals are the customer's money facts, in the tenant's currency.
type ProfileTotals struct {
	Invoiced        Money   `json:"invoiced"`
	Paid            Money   `json:"paid"`
	Outstanding     Money   `json:"outstanding"`
	Overdue         Money   `json:"overdue"`
	FirstPurchaseOn *string `json:"first_purchase_on"`
	LastPurchaseOn  *string `json:"last_purchase_on"`
}

// ProfileRecent holds the latest few linked records of each kind. Items
// are summaries; each kind's own endpoint has the full records.
type ProfileRecent struct {
	Notes     []RecordSummary `json:"notes"`
	Tasks     []RecordSummary `json:"tasks"`
	Tickets   []RecordSummary `json:"tickets"`
	Contracts []RecordSummary `json:"contracts"`
	Proposals []RecordSummary `json:"proposals"`
	Invoices  []RecordSummary `json:"invoices"`
	Payments  []RecordSummary `json:"payments"`
	Referrals []RecordSummary `json:"referrals"`
	Rewards   []RecordSummary `json:"rewards"`
}

// RecordSummary is one linked record as a profile section lists it.
type RecordSummary struct {
	ID     uuid.UUID `json:"id"`
	Kind   string    `json:"kind"`
	Title  string    `json:"title"`
	Status string    `json:"status,omitempty"`
	Amount *Money    `json:"amount,omitempty"`
	At     time.Time `json:"at"`
}

// TimelineEntry is one event on the profile's timeline, newest first.
type TimelineEntry struct {
	At      time.Time  `json:"at"`
	Kind    string     `json:"kind"`
	ID      uuid.UUID  `json:"id"`
	Title   string     `json:"title"`
	ActorID *uuid.UUID `json:"actor_id,omitempty"`
}

// EmptyRecent returns a ProfileRecent whose lists are empty, not null.
func EmptyRecent() ProfileRecent {
	return ProfileRecent{Notes: []RecordSummary{}, Tasks: []RecordSummary{}, Tickets: []RecordSummary{},
		Contracts: []RecordSummary{}, Proposals: []RecordSummary{}, Invoices: []RecordSummary{}, Payments: []RecordSummary{},
		Referrals: []RecordSummary{}, Rewards: []RecordSummary{}}
}
