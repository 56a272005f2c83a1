package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// formValues copies the posted form (Fiber's buffers are reused).
func formValues(c *fiber.Ctx) url.Values {
	v := url.Values{}
	c.Context().PostArgs().VisitAll(func(k, val []byte) { v.Add(string(k), string(val)) })
	if mf, err := c.MultipartForm(); err == nil && mf != nil {
		for k, vs := range mf.Value {
			for _, x := range vs {
				v.Add(k, x)
			}
		}
	}
	return v
}

// localFields turns the stores' field messages (English, for the API)
// into the user's language. Known messages get their own text; anything
// else a generic "not valid", so no English leaks into a Persian form.
func localFields(p *page, fields map[string]string) map[string]string {
	out := map[string]string{}
	for k, msg := range fields {
		m := strings.ToLower(msg)
		key := "validation.invalid"
		switch {
		case m == "required" || strings.Contains(m, "must not be empty") || strings.Contains(m, "is required"):
			key = "validation.required"
		case strings.Contains(m, "email"):
			key = "validation.email"
		case strings.Contains(m, "phone"):
			key = "validation.phone"
		case strings.Contains(m, "at most") && strings.Contains(m, "character"):
			key = "validation.too_long"
		case strings.Contains(m, "country"):
			key = "validation.country"
		case strings.Contains(m, "future"):
			key = "validation.future"
		case strings.Contains(m, "date"):
			key = "validation.date"
		case strings.Contains(m, "must be one of") || strings.Contains(m, "must be "):
			key = "validation.choice"
		}
		out[k] = p.T(key)
		if key == "validation.date" {
			out[k] = p.DateInvalid()
		}
	}
	return out
}

// afterPost answers a successful form: back to the profile's tab (htmx
// follows the redirect and swaps the tab in).
func afterPost(c *fiber.Ctx, p *page, customerID uuid.UUID, tab, flash string) error {
	if flash != "" {
		setFlash(c, flash)
	}
	return c.Redirect(p.TURL("customers", customerID.String())+"?tab="+tab, fiber.StatusSeeOther)
}

// formError re-renders the profile with the form refilled and its field
// messages, as 422 (htmx is configured to swap 422 responses).
func (s *Server) formError(c *fiber.Ctx, err error, tab string, form url.Values) error {
	ae, ok := err.(*core.Error)
	if !ok || ae.Code != core.CodeInvalid {
		return err
	}
	p := s.newPage(c, "customers")
	return s.renderProfile(c, fiber.StatusUnprocessableEntity, tab, form, localFields(p, ae.Fields))
}

func customerIDParam(c *fiber.Ctx) (uuid.UUID, error) {
	id, err := uuid.Parse(c.Params("id"))
	if err != nil {
		return uuid.Nil, core.ErrNotFound
	}
	return id, nil
}

func (s *Server) uiCreateNote(c *fiber.Ctx) error {
	id, err := customerIDParam(c)
	if err != nil {
		return err
	}
	form := formValues(c)
	kind, body := form.Get("kind"), form.Get("body")
	if kind == "" {
		kind = "note"
	}
	_, err = s.uiStore().CreateNote(c.UserContext(), id, core.NoteUpdate{Kind: &kind, Body: &body})
	if err != nil {
		return s.formError(c, err, "notes", form)
	}
	return afterPost(c, s.newPage(c, ""), id, "notes", "saved")
}

func (s *Server) uiCreateTask(c *fiber.Ctx) error {
	id, err := customerIDParam(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := s.newPage(c, "customers")
	form := formValues(c)
	title, body := form.Get("title"), form.Get("body")
	u := core.TaskUpdate{CustomerID: &id, Title: &title, Body: &body}
	bad := map[string]string{}
	if strings.TrimSpace(title) == "" {
		bad["title"] = p.T("validation.required")
	}
	if v := strings.TrimSpace(form.Get("due_at")); v != "" {
		t, err := p.ParseDate(v)
		if err != nil {
			bad["due_at"] = p.DateInvalid()
		} else {
			// Due at the end of that day in the tenant's zone.
			end := t.Add(24*time.Hour - time.Minute)
			u.DueAt = &end
		}
	}
	if v := form.Get("assignee_id"); v != "" {
		a, err := uuid.Parse(v)
		if err != nil {
			bad["assignee_id"] = p.T("validation.choice")
		} else {
			u.AssigneeID = &a
		}
	} else if p.Actor != nil {
		me := p.Actor.UserID
		u.AssigneeID = &me
	}
	if len(bad) > 0 {
		return s.renderProfile(c, fiber.StatusUnprocessableEntity, "notes", form, bad)
	}
	if u.AssigneeID != nil && p.Tenant != nil {
		st, err := s.deps.Users.MembershipStatus(ctx, p.Tenant.ID, *u.AssigneeID)
		if err != nil {
			return err
		}
		if st != tenant.MemberActive {
			return s.renderProfile(c, fiber.StatusUnprocessableEntity, "notes", form, map[string]string{"assignee_id": p.T("validation.choice")})
		}
	}
	acc := store.TaskAccess{All: s.uiCan(ctx, authz.P(authz.Tasks, authz.Manage))}
	if _, err := s.uiStore().CreateTask(ctx, acc, u); err != nil {
		return s.formError(c, err, "notes", form)
	}
	return afterPost(c, p, id, "notes", "saved")
}

func (s *Server) uiCreateTicket(c *fiber.Ctx) error {
	id, err := customerIDParam(c)
	if err != nil {
		return err
	}
	form := formValues(c)
	subject, body, prio := form.Get("subject"), form.Get("body"), form.Get("priority")
	u := core.TicketUpdate{Subject: &subject, Body: &body}
	if prio != "" {
		u.Priority = &prio
	}
	if _, _, err := s.uiStore().CreateTicket(c.UserContext(), id, u); err != nil {
		return s.formError(c, err, "tickets", form)
	}
	return afterPost(c, s.newPage(c, ""), id, "tickets", "saved")
}

func (s *Server) uiCreateContact(c *fiber.Ctx) error {
	id, err := customerIDParam(c)
	if err != nil {
		return err
	}
	form := formValues(c)
	in := core.ContactInput{FirstName: form.Get("first_name"), LastName: form.Get("last_name"),
		Email: form.Get("email"), Phone: form.Get("phone"), Title: form.Get("title")}
	if _, err := s.uiStore().CreateContact(c.UserContext(), id, in); err != nil {
		return s.formError(c, err, "contacts", form)
	}
	return afterPost(c, s.newPage(c, ""), id, "contacts", "saved")
}

// uiOverrideForecast sets or clears the user's override of the sales
// forecast time, and records it in the audit log.
func (s *Server) uiOverrideForecast(c *fiber.Ctx) error {
	id, err := customerIDParam(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := s.newPage(c, "customers")
	form := formValues(c)
	var at *time.Time
	if form.Get("clear") == "" {
		t, err := p.ParseDate(form.Get("at"))
		if err != nil {
			return s.renderProfile(c, fiber.StatusUnprocessableEntity, "overview", form, map[string]string{"at": p.DateInvalid()})
		}
		at = &t
	}
	cu, err := s.uiStore().SetForecastOverride(ctx, id, at)
	if err != nil {
		return s.formError(c, err, "overview", form)
	}
	detail := map[string]any{"customer_id": id.String(), "cleared": at == nil}
	if at != nil {
		detail["at"] = at.UTC().Format(time.RFC3339)
	}
	if p.Actor != nil && p.Tenant != nil {
		s.audit(ctx, tenant.AuditEvent{TenantID: &p.Tenant.ID, ActorID: &p.Actor.UserID, ActorEmail: p.Actor.Email,
			Action: "customer.forecast_override", Target: "customer:" + cu.ID.String(), Detail: detail,
			IP: s.clientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)})
	}
	flash := "forecast_saved"
	if at == nil {
		flash = "forecast_cleared"
	}
	return afterPost(c, p, id, "overview", flash)
}

// customerFormData backs the create/edit customer page.
type customerFormData struct {
	New      bool
	ID       uuid.UUID
	Name     string
	Form     url.Values
	Errors   map[string]string
	Groups   []core.Group
	Owners   []userOption
	Statuses []core.CustomerStatus
	Selected map[string]bool
}

func (s *Server) uiNewCustomer(c *fiber.Ctx) error {
	form := url.Values{}
	form.Set("status", "active")
	if p := s.newPage(c, ""); p.Actor != nil {
		form.Set("owner_id", p.Actor.UserID.String())
	}
	return s.renderCustomerForm(c, fiber.StatusOK, true, uuid.Nil, "", form, nil)
}

func (s *Server) uiEditCustomer(c *fiber.Ctx) error {
	id, err := customerIDParam(c)
	if err != nil {
		return err
	}
	cu, err := s.uiStore().Customer(c.UserContext(), id)
	if err != nil {
		return err
	}
	form := url.Values{}
	form.Set("name", cu.Name)
	form.Set("email", cu.Email)
	form.Set("phone", cu.Phone)
	form.Set("website", cu.Website)
	form.Set("vat_id", cu.VATID)
	form.Set("status", string(cu.Status))
	if cu.OwnerID != nil {
		form.Set("owner_id", cu.OwnerID.String())
	}
	form.Set("value_added_deals", itoa(cu.ValueAddedDeals))
	for _, g := range cu.Groups {
		form.Add("group_ids", g.ID.String())
	}
	var sp []string
	for _, x := range cu.Specialties {
		sp = append(sp, x.Name)
	}
	form.Set("specialties", strings.Join(sp, "، "))
	for _, a := range []struct {
		pre string
		v   core.Address
	}{{"billing_", cu.Billing}, {"shipping_", cu.Shipping}} {
		form.Set(a.pre+"street", a.v.Street)
		form.Set(a.pre+"city", a.v.City)
		form.Set(a.pre+"province", a.v.Province)
		form.Set(a.pre+"postal_code", a.v.PostalCode)
		form.Set(a.pre+"country", a.v.Country)
	}
	return s.renderCustomerForm(c, fiber.StatusOK, false, id, cu.Name, form, nil)
}

func (s *Server) renderCustomerForm(c *fiber.Ctx, status int, isNew bool, id uuid.UUID, name string, form url.Values, errs map[string]string) error {
	p := s.newPage(c, "customers")
	ctx := c.UserContext()
	groups, err := s.uiStore().Groups(ctx)
	if err != nil {
		return err
	}
	owners, _, err := s.uiOwners(c, p.Tenant)
	if err != nil {
		return err
	}
	d := &customerFormData{New: isNew, ID: id, Name: name, Form: form, Errors: errs, Groups: groups, Owners: owners,
		Statuses: core.CustomerStatuses, Selected: map[string]bool{}}
	for _, g := range form["group_ids"] {
		d.Selected[g] = true
	}
	if d.Errors == nil {
		d.Errors = map[string]string{}
	}
	if isNew {
		p.Title = p.T("customer.new_title")
	} else {
		p.Title = p.T("customer.edit_title", name)
	}
	p.Data = d
	return s.render(c, status, "customer_form", p)
}

// customerInputOf reads the customer form. Digits may be Persian or
// Arabic-Indic anywhere a number is typed.
func customerInputOf(p *page, form url.Values) (core.CustomerInput, map[string]string) {
	bad := map[string]string{}
	in := core.CustomerInput{Name: form.Get("name"), Email: form.Get("email"), Phone: form.Get("phone"),
		Website: form.Get("website"), VATID: form.Get("vat_id"), Status: core.CustomerStatus(form.Get("status"))}
	if v := form.Get("owner_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			bad["owner_id"] = p.T("validation.choice")
		} else {
			in.OwnerID = &id
		}
	}
	if v := strings.TrimSpace(form.Get("value_added_deals")); v != "" {
		n, ok := formInt(v)
		if !ok || n < 0 || n > 1_000_000 {
			bad["value_added_deals"] = p.T("validation.number")
		} else {
			in.ValueAddedDeals = int(n)
		}
	}
	for _, g := range form["group_ids"] {
		id, err := uuid.Parse(g)
		if err != nil {
			bad["group_ids"] = p.T("validation.choice")
			continue
		}
		in.GroupIDs = append(in.GroupIDs, id)
	}
	for _, sp := range strings.FieldsFunc(form.Get("specialties"), func(r rune) bool { return r == ',' || r == '،' || r == '\n' }) {
		if sp = strings.TrimSpace(sp); sp != "" {
			in.Specialties = append(in.Specialties, sp)
		}
	}
	in.Specialties = append([]string{}, in.Specialties...)
	addr := func(pre string) *core.Address {
		return &core.Address{Street: form.Get(pre + "street"), City: form.Get(pre + "city"), Province: form.Get(pre + "province"),
			PostalCode: form.Get(pre + "postal_code"), Country: form.Get(pre + "country")}
	}
	in.Billing, in.Shipping = addr("billing_"), addr("shipping_")
	if len(bad) > 0 {
		// The form goes back without reaching the store, so check the rest
		// here too: every field's error shows at once, not in two rounds.
		check := in
		check.Billing, check.Shipping = &core.Address{}, &core.Address{}
		*check.Billing, *check.Shipping = *in.Billing, *in.Shipping
		check.Specialties = append([]string{}, in.Specialties...)
		check.GroupIDs = append([]uuid.UUID{}, in.GroupIDs...)
		for k, v := range localFields(p, check.Normalize()) {
			if k = formFieldName(k); bad[k] == "" {
				bad[k] = v
			}
		}
	}
	return in, bad
}

// formFieldName maps the stores' field names to the form's.
func formFieldName(k string) string {
	k = strings.ReplaceAll(k, "billing_address.", "billing_")
	k = strings.ReplaceAll(k, "shipping_address.", "shipping_")
	if strings.HasPrefix(k, "specialties.") {
		return "specialties"
	}
	return k
}

func (s *Server) uiCreateCustomer(c *fiber.Ctx) error {
	p := s.newPage(c, "customers")
	form := formValues(c)
	in, bad := customerInputOf(p, form)
	if len(bad) > 0 {
		return s.renderCustomerForm(c, fiber.StatusUnprocessableEntity, true, uuid.Nil, "", form, bad)
	}
	cu, err := s.uiStore().CreateCustomer(c.UserContext(), in)
	if err != nil {
		return s.customerFormError(c, p, err, true, uuid.Nil, "", form)
	}
	return afterPost(c, p, cu.ID, "overview", "customer_created")
}

func (s *Server) uiUpdateCustomer(c *fiber.Ctx) error {
	id, err := customerIDParam(c)
	if err != nil {
		return err
	}
	p := s.newPage(c, "customers")
	form := formValues(c)
	in, bad := customerInputOf(p, form)
	name := form.Get("name")
	if len(bad) > 0 {
		return s.renderCustomerForm(c, fiber.StatusUnprocessableEntity, false, id, name, form, bad)
	}
	owner := uuid.Nil
	if in.OwnerID != nil {
		owner = *in.OwnerID
	}
	u := core.CustomerUpdate{Name: &in.Name, Email: &in.Email, Phone: &in.Phone, Website: &in.Website, VATID: &in.VATID,
		Status: &in.Status, OwnerID: &owner, Billing: in.Billing, Shipping: in.Shipping,
		ValueAddedDeals: &in.ValueAddedDeals, GroupIDs: &in.GroupIDs, Specialties: &in.Specialties}
	if _, err := s.uiStore().UpdateCustomer(c.UserContext(), id, u); err != nil {
		return s.customerFormError(c, p, err, false, id, name, form)
	}
	return afterPost(c, p, id, "overview", "saved")
}

func (s *Server) customerFormError(c *fiber.Ctx, p *page, err error, isNew bool, id uuid.UUID, name string, form url.Values) error {
	ae, ok := err.(*core.Error)
	if !ok || ae.Code != core.CodeInvalid {
		return err
	}
	fields := map[string]string{}
	for k, v := range localFields(p, ae.Fields) {
		fields[formFieldName(k)] = v
	}
	return s.renderCustomerForm(c, fiber.StatusUnprocessableEntity, isNew, id, name, form, fields)
}
