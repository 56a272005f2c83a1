package web

import (
	"encoding/json"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/web/i18n"
)

// profileTab is one tab of the 360° profile; it shows when the actor may
// read what it lists.
type profileTab struct {
	Key     string
	Count   int
	Current bool
}

var profileTabs = []struct {
	key  string
	perm authz.Permission
}{
	{"overview", authz.P(authz.Customers, authz.Read)},
	{"contacts", authz.P(authz.Contacts, authz.Read)},
	{"notes", authz.P(authz.Notes, authz.Read)},
	{"tickets", authz.P(authz.Tickets, authz.Read)},
	{"contracts", authz.P(authz.Contracts, authz.Read)},
	{"proposals", authz.P(authz.Proposals, authz.Read)},
	{"invoices", authz.P(authz.Invoices, authz.Read)},
	{"payments", authz.P(authz.Payments, authz.Read)},
	{"referrals", authz.P(authz.Referrals, authz.Read)},
}

// scoreView is the retention card's score part, for roles with
// scores:read.
type scoreView struct {
	Risk       float64
	RiskLevel  string
	Reasons    []string
	PAlive     *float64
	CLV        int64
	Segment    string
	ComputedAt time.Time
	CrossSell  []string
}

type healthView struct {
	Score      int
	Level      string
	Components []kv
}

type kv struct {
	Key   string
	Value any
}

type forecastView struct {
	At, SystemAt string
	// Overdue: the forecast day has passed without a purchase; At then
	// says "overdue since …".
	Overdue    bool
	Overridden bool
	Input      string
	Verdict    []kv
}

type referralView struct {
	On        time.Time
	Direction string
	OtherID   uuid.UUID
	OtherName string
	Status    string
}

type rewardView struct {
	At       time.Time
	Kind     string
	Amount   int64
	Currency string
	Reason   string
}

type profileData struct {
	C             core.Customer
	P             core.Profile
	OwnerName     string
	Place         string
	LastPurchase  string
	Tab           string
	Tabs          []profileTab
	ShowScores    bool
	Score         *scoreView
	Health        *healthView
	Forecast      forecastView
	ReferralsMade int
	ReferredBy    []core.Customer
	RewardsCount  int
	RewardsTotal  int64
	Referrals     []referralView
	Rewards       []rewardView
	Owners        []userOption
	NoteKinds     []string
	Priorities    []string
	Form          url.Values
	Errors        map[string]string
}

func (s *Server) uiProfile(c *fiber.Ctx) error {
	return s.renderProfile(c, fiber.StatusOK, c.Query("tab"), nil, nil)
}

// renderProfile shows the profile with tab open; form and errors refill a
// form that failed validation.
func (s *Server) renderProfile(c *fiber.Ctx, status int, tab string, form url.Values, errs map[string]string) error {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return core.ErrNotFound
	}
	ctx := c.UserContext()
	p := s.newPage(c, "customers")
	st := s.uiStore()
	prof, err := st.Profile(ctx, id)
	if err != nil {
		return err
	}
	d := &profileData{P: prof, C: prof.Customer, Form: form, Errors: errs, NoteKinds: core.NoteKinds, Priorities: core.TicketPriorities}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	d.ShowScores = p.Can(string(authz.Scores), string(authz.Read))
	if !d.ShowScores {
		d.C.WithoutScores()
	}
	owners, names, err := s.uiOwners(c, p.Tenant)
	if err != nil {
		return err
	}
	d.Owners = owners
	if d.C.OwnerID != nil {
		d.OwnerName = names[*d.C.OwnerID]
	}
	d.Place = place(d.C.Billing)
	if d.C.Billing.Street != "" {
		d.Place = d.C.Billing.Street + "، " + d.Place
	}
	d.LastPurchase = "—"
	if prof.Totals.LastPurchaseOn != nil {
		if t, err := time.Parse(time.DateOnly, *prof.Totals.LastPurchaseOn); err == nil {
			d.LastPurchase = p.Day(t)
		}
	}
	if tab == "" {
		tab = "overview"
	}
	counts := map[string]int{"contacts": prof.Counts.Contacts, "notes": prof.Counts.Notes + prof.Counts.OpenTasks,
		"tickets": prof.Counts.Tickets, "contracts": prof.Counts.Contracts, "proposals": prof.Counts.Proposals,
		"invoices": prof.Counts.Invoices, "payments": prof.Counts.Payments, "referrals": prof.Counts.Referrals + prof.Counts.Rewards}
	found := false
	for _, t := range profileTabs {
		if !s.uiCan(ctx, t.perm) {
			continue
		}
		d.Tabs = append(d.Tabs, profileTab{Key: t.key, Count: counts[t.key], Current: t.key == tab})
		found = found || t.key == tab
	}
	if !found {
		return core.ErrNotFound
	}
	d.Tab = tab
	if err := s.loadScore(c, p, d); err != nil {
		return err
	}
	if err := s.loadReferrals(c, p, d, names); err != nil {
		return err
	}
	if err := s.loadTab(c, p, d); err != nil {
		return err
	}
	p.Title = d.C.Name
	p.Data = d
	return s.render(c, status, "customer", p)
}

// scoreRow is the customer's row of the scores table.
type scoreRow struct {
	ComputedAt       time.Time       `db:"computed_at"`
	Risk             float64         `db:"risk"`
	RiskLevel        string          `db:"risk_level"`
	Reasons          json.RawMessage `db:"reasons"`
	PAlive           *float64        `db:"p_alive"`
	ExpectedPurchase *float64        `db:"expected_purchases"`
	ExpectedSpend    *int64          `db:"expected_spend"`
	CLV              int64           `db:"clv"`
	Segment          string          `db:"segment"`
	Health           *int            `db:"health"`
	HealthComponents json.RawMessage `db:"health_components"`
	CrossSell        json.RawMessage `db:"cross_sell"`
}

// loadScore fills the retention card. The customer was just read through
// the store (so the actor may see it); the score row is read in the same
// tenant scope.
func (s *Server) loadScore(c *fiber.Ctx, p *page, d *profileData) error {
	ctx := c.UserContext()
	var rows []scoreRow
	err := tenant.ReadTx(ctx, s.deps.DB, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, `select computed_at, risk, risk_level, reasons, p_alive, expected_purchases,
			expected_spend, clv, segment, health, health_components, cross_sell from scores where customer_id = $1`, d.C.ID)
	})
	if err != nil {
		return err
	}
	var row *scoreRow
	if len(rows) == 1 {
		row = &rows[0]
	}
	// Health: every role with health:read; without scores:read it is
	// shown without the risk component, re-weighted over the others.
	if row != nil && row.Health != nil && p.Can(string(authz.Health), string(authz.Read)) {
		d.Health = healthOf(*row.Health, row.HealthComponents, d.ShowScores)
	}
	if !d.ShowScores {
		return nil
	}
	f := d.C.Forecast
	d.Forecast.At, d.Forecast.SystemAt = "—", "—"
	if f != nil {
		if f.At != nil {
			due := p.Due(f.At)
			d.Forecast.At, d.Forecast.Overdue = due.Text, due.Overdue
		}
		if f.SystemAt != nil {
			d.Forecast.SystemAt = p.Date(*f.SystemAt)
		}
		if f.Override != nil {
			d.Forecast.Overridden = true
			d.Forecast.Input = p.Date(f.Override.At)
		}
	}
	if v := d.Form.Get("at"); v != "" {
		d.Forecast.Input = v
	}
	if row == nil {
		return nil
	}
	sv := &scoreView{Risk: row.Risk, RiskLevel: row.RiskLevel, PAlive: row.PAlive, CLV: row.CLV,
		Segment: segmentKey(row.Segment), ComputedAt: row.ComputedAt}
	sv.Reasons = reasonTexts(row.Reasons, p.Lang)
	sv.CrossSell = crossSellTexts(row.CrossSell)
	d.Score = sv
	if row.ExpectedPurchase != nil {
		d.Forecast.Verdict = append(d.Forecast.Verdict, kv{"expected_purchases", p.Decimal(*row.ExpectedPurchase, 1)})
	}
	if row.ExpectedSpend != nil {
		d.Forecast.Verdict = append(d.Forecast.Verdict, kv{"expected_spend", p.Money(*row.ExpectedSpend, "")})
	}
	d.Forecast.Verdict = append(d.Forecast.Verdict, kv{"risk_level", p.T("risk." + row.RiskLevel)})
	return nil
}

// segmentKey turns a segment name as scoring writes it ("Can't lose
// them") into its catalogue key ("cant_lose").
func segmentKey(s string) string {
	k := strings.ToLower(strings.TrimSpace(s))
	k = strings.ReplaceAll(k, "'", "")
	k = strings.ReplaceAll(k, " ", "_")
	if k == "cant_lose_them" {
		k = "cant_lose"
	}
	return k
}

// reasonTexts reads the reasons scoring wrote, in the user's language.
func reasonTexts(raw json.RawMessage, lang i18n.Lang) []string {
	var items []map[string]any
	if json.Unmarshal(raw, &items) != nil {
		var plain []string
		_ = json.Unmarshal(raw, &plain)
		return plain
	}
	var out []string
	for _, it := range items {
		lower := map[string]any{}
		for k, v := range it {
			lower[strings.ToLower(strings.ReplaceAll(k, "_", ""))] = v
		}
		keys := []string{"texten", "text", "en"}
		if lang == i18n.Fa {
			keys = []string{"textfa", "fa", "text", "texten"}
		}
		for _, k := range keys {
			if s, ok := lower[k].(string); ok && s != "" {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func crossSellTexts(raw json.RawMessage) []string {
	var items []any
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		switch v := it.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			for _, k := range []string{"category", "Category", "name", "Name", "item", "Item"} {
				if s, ok := v[k].(string); ok && s != "" {
					out = append(out, s)
					break
				}
			}
		}
	}
	return out
}

// healthOf shows the health score with its components (0–100 each). The
// variant without risk re-weights the other components as scoring does
// (DESIGN §7), so no risk figure can be read back from it.
func healthOf(score int, raw json.RawMessage, withRisk bool) *healthView {
	m := map[string]float64{}
	var any map[string]any
	_ = json.Unmarshal(raw, &any)
	for k, v := range any {
		if f, ok := v.(float64); ok {
			m[strings.ToLower(strings.ReplaceAll(k, "_", ""))] = f
		}
	}
	h := &healthView{Score: score}
	order := []string{"payment", "support", "engagement", "retention"}
	if !withRisk {
		order = order[:3]
		var num, den float64
		for _, k := range order {
			w, ok := m["w"+k]
			if !ok {
				w = map[string]float64{"payment": 0.25, "support": 0.20, "engagement": 0.25}[k]
			}
			num += w * m[k]
			den += w
		}
		if den > 0 {
			h.Score = int(math.Round(100 * num / den))
		}
	}
	for _, k := range order {
		if v, ok := m[k]; ok {
			h.Components = append(h.Components, kv{k, int(math.Round(v * 100))})
		}
	}
	switch {
	case h.Score < 40:
		h.Level = "high"
	case h.Score < 70:
		h.Level = "medium"
	default:
		h.Level = "low"
	}
	return h
}

// loadReferrals fills the header's referral and reward figures (and the
// referrals tab).
func (s *Server) loadReferrals(c *fiber.Ctx, p *page, d *profileData, names map[uuid.UUID]string) error {
	ctx := c.UserContext()
	st := s.uiStore()
	if s.uiCan(ctx, authz.P(authz.Referrals, authz.Read)) {
		refs, err := st.Referrals(ctx, store.ReferralFilter{CustomerID: &d.C.ID, Limit: 100})
		if err != nil {
			return err
		}
		for _, r := range refs.Items {
			v := referralView{On: r.ReferredOn.Time, Status: r.Status}
			if r.ReferrerID == d.C.ID {
				d.ReferralsMade++
				v.Direction, v.OtherID = "made", r.ReferredID
			} else {
				v.Direction, v.OtherID = "received", r.ReferrerID
			}
			if other, err := st.Customer(ctx, v.OtherID); err == nil {
				v.OtherName = other.Name
				if v.Direction == "received" {
					d.ReferredBy = append(d.ReferredBy, other)
				}
			} else if core.ErrorCode(err) != core.CodeNotFound {
				return err
			} else {
				v.OtherName = "—"
			}
			d.Referrals = append(d.Referrals, v)
		}
	}
	if s.uiCan(ctx, authz.P(authz.Rewards, authz.Read)) {
		rw, err := st.Rewards(ctx, store.LinkFilter{CustomerID: &d.C.ID, Limit: 100})
		if err != nil {
			return err
		}
		for _, r := range rw.Items {
			d.RewardsCount++
			if r.Currency == p.Currency {
				d.RewardsTotal += r.Amount
			}
			d.Rewards = append(d.Rewards, rewardView{At: r.IssuedAt, Kind: r.Kind, Amount: r.Amount, Currency: r.Currency, Reason: r.Reason})
		}
	}
	return nil
}

// loadTab fills the open tab's records (and, for the overview, the
// timeline) through the linked-record stores.
func (s *Server) loadTab(c *fiber.Ctx, p *page, d *profileData) error {
	ctx := c.UserContext()
	st := s.uiStore()
	id := &d.C.ID
	lf := store.LinkFilter{CustomerID: id, Limit: 50}
	sum := func(kind string, rid uuid.UUID, title, status string, amount *core.Money, at time.Time) core.RecordSummary {
		return core.RecordSummary{ID: rid, Kind: kind, Title: title, Status: status, Amount: amount, At: at}
	}
	money := func(a int64, cur string) *core.Money { return &core.Money{Amount: a, Currency: cur} }
	can := func(o authz.Object) bool { return s.uiCan(ctx, authz.P(o, authz.Read)) }
	want := func(tabs ...string) bool {
		for _, t := range tabs {
			if d.Tab == t {
				return true
			}
		}
		return false
	}
	r := &d.P.Recent
	if want("notes", "overview") && can(authz.Notes) {
		ns, err := st.Notes(ctx, lf)
		if err != nil {
			return err
		}
		r.Notes = r.Notes[:0]
		for _, n := range ns.Items {
			r.Notes = append(r.Notes, sum(n.Kind, n.ID, n.Body, "", nil, n.CreatedAt))
		}
	}
	if want("notes", "overview") && can(authz.Tasks) {
		ts, err := st.Tasks(ctx, store.TaskAccess{All: s.uiCan(ctx, authz.P(authz.Tasks, authz.Manage))}, store.TaskFilter{CustomerID: id, Limit: 50})
		if err != nil {
			return err
		}
		r.Tasks = r.Tasks[:0]
		for _, t := range ts.Items {
			at := t.CreatedAt
			if t.DueAt != nil {
				at = *t.DueAt
			}
			r.Tasks = append(r.Tasks, sum("task", t.ID, t.Title, t.Status, nil, at))
		}
	}
	if want("tickets", "overview") && can(authz.Tickets) {
		ts, err := st.Tickets(ctx, lf)
		if err != nil {
			return err
		}
		r.Tickets = r.Tickets[:0]
		for _, t := range ts.Items {
			r.Tickets = append(r.Tickets, sum("ticket", t.ID, t.Subject, t.Status, nil, t.OpenedAt))
		}
	}
	if want("contracts", "overview") && can(authz.Contracts) {
		cs, err := st.Contracts(ctx, lf)
		if err != nil {
			return err
		}
		r.Contracts = r.Contracts[:0]
		for _, x := range cs.Items {
			r.Contracts = append(r.Contracts, sum("contract", x.ID, x.Subject, x.Status, money(x.Value, x.Currency), x.StartOn.Time))
		}
	}
	if want("proposals", "overview") && can(authz.Proposals) {
		ps, err := st.Proposals(ctx, lf)
		if err != nil {
			return err
		}
		r.Proposals = r.Proposals[:0]
		for _, x := range ps.Items {
			r.Proposals = append(r.Proposals, sum("proposal", x.ID, x.Subject, x.Status, money(x.Total, x.Currency), x.CreatedAt))
		}
	}
	if want("invoices", "overview") && can(authz.Invoices) {
		is, err := st.Invoices(ctx, lf)
		if err != nil {
			return err
		}
		r.Invoices = r.Invoices[:0]
		for _, x := range is.Items {
			r.Invoices = append(r.Invoices, sum(x.Kind, x.ID, x.Number, x.Status, money(x.Total, x.Currency), x.IssuedOn.Time))
		}
	}
	if want("payments", "overview") && can(authz.Payments) {
		ps, err := st.Payments(ctx, lf)
		if err != nil {
			return err
		}
		r.Payments = r.Payments[:0]
		for _, x := range ps.Items {
			title := x.InvoiceNumber
			if title == "" {
				title = x.Method
			}
			r.Payments = append(r.Payments, sum("payment", x.ID, title, "", money(x.Amount, x.Currency), x.PaidOn.Time))
		}
	}
	if d.Tab == "overview" && len(d.P.Timeline) == 0 {
		var tl []core.TimelineEntry
		for _, list := range [][]core.RecordSummary{r.Notes, r.Tasks, r.Tickets, r.Contracts, r.Proposals, r.Invoices, r.Payments} {
			for _, x := range list {
				title := x.Title
				if len([]rune(title)) > 140 {
					title = string([]rune(title)[:140]) + "…"
				}
				tl = append(tl, core.TimelineEntry{At: x.At, Kind: x.Kind, ID: x.ID, Title: title})
			}
		}
		sort.SliceStable(tl, func(i, j int) bool { return tl[i].At.After(tl[j].At) })
		if len(tl) > 30 {
			tl = tl[:30]
		}
		d.P.Timeline = tl
	}
	return nil
}
