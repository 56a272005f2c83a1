package web

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/web/i18n"
)

// The customer list's choices, in display order.
var (
	uiRiskLevels = []string{"high", "medium", "low"}
	uiSegments   = []string{"champions", "loyal", "potential_loyalist", "new", "promising", "need_attention",
		"about_to_sleep", "at_risk", "cant_lose", "hibernating", "lost"}
	// segmentNames are the segment names scoring stores, by catalogue key.
	segmentNames = map[string]string{"champions": "Champions", "loyal": "Loyal", "potential_loyalist": "Potential loyalist",
		"new": "New", "promising": "Promising", "need_attention": "Need attention", "about_to_sleep": "About to sleep",
		"at_risk": "At risk", "cant_lose": "Can't lose them", "hibernating": "Hibernating", "lost": "Lost"}
	uiSorts      = []string{"name", "-clv", "-risk", "next_purchase", "-last_purchase", "-created"}
	uiScoreSorts = map[string]bool{"-clv": true, "-risk": true, "next_purchase": true}
)

type customerTab struct {
	Status  string
	Label   string
	Count   int
	Current bool
}

type userOption struct {
	ID   uuid.UUID
	Name string
}

// customerRow is one line of the list, ready to show.
type customerRow struct {
	ID           uuid.UUID
	Name, Email  string
	VIP          bool
	Status       string
	Groups       []core.GroupRef
	Owner        string
	Place        string
	RiskLevel    string
	Risk         float64
	CLV          int64
	NextPurchase *time.Time
}

type customersData struct {
	Tabs        []customerTab
	Items       []customerRow
	Total       int
	Next        string
	Sort        string
	Sorts       []string
	Groups      []core.Group
	Specialties []core.Specialty
	Owners      []userOption
	RiskLevels  []string
	Segments    []string
	Errors      map[string]string
}

// uiStore is the tenant-data store the UI reads through, the same one the
// API uses.
func (s *Server) uiStore() *store.Store { return store.New(s.deps.DB) }

// customerFilterFromQuery reads the list's filters from the URL. Field
// messages come back in the user's language; score filters without
// scores:read are forbidden, as in the API.
func (s *Server) customerFilterFromQuery(c *fiber.Ctx, p *page) (core.CustomerFilter, map[string]string, error) {
	f := core.CustomerFilter{}
	bad := map[string]string{}
	q := p.Query
	if st := q.Get("status"); st != "" {
		if !core.CustomerStatus(st).Valid() {
			bad["status"] = p.T("validation.choice")
		} else {
			f.Status = []core.CustomerStatus{core.CustomerStatus(st)}
		}
	}
	parseID := func(key string) *uuid.UUID {
		v := q.Get(key)
		if v == "" {
			return nil
		}
		id, err := uuid.Parse(v)
		if err != nil {
			bad[key] = p.T("validation.choice")
			return nil
		}
		return &id
	}
	if id := parseID("group"); id != nil {
		f.GroupIDs = []uuid.UUID{*id}
	}
	if id := parseID("owner"); id != nil {
		f.OwnerIDs = []uuid.UUID{*id}
	}
	if v := q.Get("specialty"); v != "" {
		f.Specialties = []string{v}
	}
	switch q.Get("vip") {
	case "":
	case "1":
		t := true
		f.VIP = &t
	case "0":
		no := false
		f.VIP = &no
	default:
		bad["vip"] = p.T("validation.choice")
	}
	if v := strings.TrimSpace(q.Get("country")); v != "" {
		f.Countries = []string{v}
	}
	if v := strings.TrimSpace(q.Get("province")); v != "" {
		f.Provinces = []string{v}
	}
	if v := strings.TrimSpace(q.Get("city")); v != "" {
		f.Cities = []string{v}
	}
	f.Q = strings.TrimSpace(q.Get("q"))
	if v := q.Get("risk"); v != "" {
		if !contains(uiRiskLevels, v) {
			bad["risk"] = p.T("validation.choice")
		} else {
			f.RiskLevels = []string{v}
		}
	}
	if v := q.Get("segment"); v != "" {
		if _, ok := segmentNames[v]; !ok {
			bad["segment"] = p.T("validation.choice")
		} else {
			f.Segments = []string{segmentNames[v]}
		}
	}
	money := func(key string) *int64 {
		v := strings.TrimSpace(q.Get(key))
		if v == "" {
			return nil
		}
		n, err := p.ParseAmount(v)
		if err != nil {
			bad[key] = p.T("validation.money")
			return nil
		}
		return &n
	}
	f.MinCLV, f.MaxCLV = money("clv_min"), money("clv_max")
	if f.MinCLV != nil && f.MaxCLV != nil && *f.MinCLV > *f.MaxCLV {
		bad["clv_max"] = p.T("validation.range")
	}
	sort := q.Get("sort")
	if sort == "" {
		sort = "name"
	}
	if !contains(uiSorts, sort) {
		bad["sort"] = p.T("validation.choice")
		sort = "name"
	}
	f.Sort = core.CustomerSort(sort)
	f.Cursor = q.Get("after")
	f.Limit = 50
	if f.UsesScores() && !p.Can(string(authz.Scores), string(authz.Read)) {
		return f, bad, &core.Error{Code: core.CodeForbidden, Message: "filtering or sorting on scores needs scores:read"}
	}
	return f, bad, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// uiOwners lists the tenant's active members, for owner filters and
// assignee choices, and a name lookup.
func (s *Server) uiOwners(c *fiber.Ctx, t *core.Tenant) ([]userOption, map[uuid.UUID]string, error) {
	names := map[uuid.UUID]string{}
	if t == nil {
		return nil, names, nil
	}
	ms, err := s.deps.Users.Members(c.UserContext(), t.ID)
	if err != nil {
		return nil, nil, err
	}
	var out []userOption
	for _, m := range ms {
		name := m.Name
		if name == "" {
			name = m.Email
		}
		names[m.ID] = name
		if m.Status == "active" {
			out = append(out, userOption{ID: m.ID, Name: name})
		}
	}
	return out, names, nil
}

func place(a core.Address) string {
	var parts []string
	for _, s := range []string{a.City, a.Province, a.Country} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "، ")
}

func (s *Server) uiCustomers(c *fiber.Ctx) error {
	p := s.newPage(c, "customers")
	p.Title = p.T("customers.title")
	ctx := c.UserContext()
	st := s.uiStore()
	f, bad, err := s.customerFilterFromQuery(c, p)
	if err != nil {
		return err
	}
	showScores := p.Can(string(authz.Scores), string(authz.Read))
	d := &customersData{Sort: string(f.Sort), RiskLevels: uiRiskLevels, Segments: uiSegments, Errors: bad}
	for _, so := range uiSorts {
		if showScores || !uiScoreSorts[so] {
			d.Sorts = append(d.Sorts, so)
		}
	}
	owners, names, err := s.uiOwners(c, p.Tenant)
	if err != nil {
		return err
	}
	d.Owners = owners
	if d.Groups, err = st.Groups(ctx); err != nil {
		return err
	}
	if d.Specialties, err = st.Specialties(ctx, "", 200); err != nil {
		return err
	}
	var list core.CustomerPage
	counts := core.CustomerCounts{}
	if len(bad) == 0 {
		counts, err = st.CustomerCounts(ctx, f)
		if err == nil {
			list, err = st.Customers(ctx, f)
		}
		if ae, ok := err.(*core.Error); ok && ae.Code == core.CodeInvalid {
			for k := range ae.Fields {
				bad[k] = p.T("validation.filter")
			}
			err = nil
		}
		if err != nil {
			return err
		}
	}
	status := p.Q("status")
	for _, tab := range []struct {
		status string
		n      int
	}{{"", counts.All}, {"active", counts.Active}, {"inactive", counts.Inactive}, {"legacy", counts.Legacy}} {
		label := "status.all"
		if tab.status != "" {
			label = "status." + tab.status
		}
		d.Tabs = append(d.Tabs, customerTab{Status: tab.status, Label: label, Count: tab.n, Current: status == tab.status})
		if status == tab.status {
			d.Total = tab.n
		}
	}
	for _, cu := range list.Items {
		if !showScores {
			cu.WithoutScores()
		}
		d.Items = append(d.Items, s.customerRowOf(cu, names))
	}
	d.Next = list.NextCursor
	p.Data = d
	return s.render(c, fiber.StatusOK, "customers", p)
}

func (s *Server) customerRowOf(cu core.Customer, names map[uuid.UUID]string) customerRow {
	r := customerRow{ID: cu.ID, Name: cu.Name, Email: cu.Email, Status: string(cu.Status), Groups: cu.Groups, Place: place(cu.Billing)}
	for _, g := range cu.Groups {
		if g.IsVIP {
			r.VIP = true
		}
	}
	if cu.OwnerID != nil {
		r.Owner = names[*cu.OwnerID]
	}
	if cu.Score != nil {
		r.RiskLevel, r.Risk, r.CLV = cu.Score.RiskLevel, cu.Score.Risk, cu.Score.CLV
	}
	if cu.Forecast != nil {
		r.NextPurchase = cu.Forecast.At
	}
	return r
}

// uiCustomersExport writes the current view (every page of it) as CSV or
// XLSX, in the user's language, with spreadsheet formulas neutralised.
func (s *Server) uiCustomersExport(c *fiber.Ctx) error {
	p := s.newPage(c, "customers")
	ctx := c.UserContext()
	f, bad, err := s.customerFilterFromQuery(c, p)
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return &core.Error{Code: core.CodeInvalid, Message: "invalid filter", Fields: bad}
	}
	showScores := p.Can(string(authz.Scores), string(authz.Read))
	_, names, err := s.uiOwners(c, p.Tenant)
	if err != nil {
		return err
	}
	head := []string{p.T("customers.name"), p.T("customer.email"), p.T("customer.phone"), p.T("customers.status"),
		p.T("customers.groups"), p.T("customers.owner"), p.T("customers.country"), p.T("customers.province"), p.T("customers.city")}
	if showScores {
		head = append(head, p.T("customers.risk"), p.T("customers.risk_score"), p.T("customers.clv")+" ("+p.Currency+")", p.T("customers.segment"), p.T("customers.next_purchase"))
	}
	rows := [][]string{head}
	f.Limit = 200
	for n := 0; n < 500; n++ { // at most 100,000 rows
		page, err := s.uiStore().Customers(ctx, f)
		if err != nil {
			return err
		}
		for _, cu := range page.Items {
			if !showScores {
				cu.WithoutScores()
			}
			var groups []string
			for _, g := range cu.Groups {
				groups = append(groups, g.Name)
			}
			owner := ""
			if cu.OwnerID != nil {
				owner = names[*cu.OwnerID]
			}
			row := []string{cu.Name, cu.Email, cu.Phone, p.T("status." + string(cu.Status)), strings.Join(groups, ", "), owner,
				cu.Billing.Country, cu.Billing.Province, cu.Billing.City}
			if showScores {
				if cu.Score != nil {
					row = append(row, p.T("risk."+cu.Score.RiskLevel), strconv.FormatFloat(cu.Score.Risk, 'f', 3, 64),
						core.FormatMoney(cu.Score.CLV, p.Currency), p.segmentName(cu.Score.Segment))
				} else {
					row = append(row, "", "", "", "")
				}
				next := ""
				if cu.Forecast != nil && cu.Forecast.At != nil {
					next = cu.Forecast.At.In(p.Loc).Format(time.DateOnly)
				}
				row = append(row, next)
			}
			rows = append(rows, row)
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	name := "customers-" + time.Now().In(p.Loc).Format("2006-01-02")
	if strings.HasSuffix(c.Path(), ".xlsx") {
		x := excelize.NewFile()
		defer x.Close()
		sheet := x.GetSheetName(0)
		if p.Lang == i18n.Fa {
			rtl := true
			_ = x.SetSheetView(sheet, 0, &excelize.ViewOptions{RightToLeft: &rtl})
		}
		for i, r := range rows {
			cells := make([]any, len(r))
			for j, v := range r {
				cells[j] = neutralise(v)
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := x.SetSheetRow(sheet, cell, &cells); err != nil {
				return err
			}
		}
		var buf bytes.Buffer
		if err := x.Write(&buf); err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.xlsx"`)
		return c.Send(buf.Bytes())
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so spreadsheet programs read UTF-8
	w := csv.NewWriter(&buf)
	for _, r := range rows {
		out := make([]string, len(r))
		for j, v := range r {
			out[j] = neutralise(v)
		}
		_ = w.Write(out)
	}
	w.Flush()
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	return c.Send(buf.Bytes())
}

// neutralise keeps a cell from being read as a formula (DESIGN §8): a
// leading = + - @ tab or CR gets a quote, except for what is plainly a
// number or a phone number ("-12.50", "+98 21 5555"), which spreadsheets
// read as values anyway.
func neutralise(v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
		if looksNumeric(v) {
			return v
		}
		return "'" + v
	}
	return v
}

func looksNumeric(v string) bool {
	digits := 0
	for i, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case (r == '+' || r == '-') && i == 0:
		case r == '.' || r == ' ' || r == '(' || r == ')' || r == ',':
		default:
			return false
		}
	}
	return digits > 0
}

// segmentName is an RFM segment as the UI shows it, in the user's
// language; a name scoring may add later stays as stored.
func (p *page) segmentName(stored string) string {
	if stored == "" {
		return ""
	}
	if k := "segment." + segmentKey(stored); i18n.Has(p.Lang, k) {
		return p.T(k)
	}
	return stored
}
