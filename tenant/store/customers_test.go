package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// member creates a control-plane user who is an active member of tn.
func member(t *testing.T, env *tenanttest.Env, tn core.Tenant, name string) uuid.UUID {
	t.Helper()
	id := core.NewID()
	if _, err := env.DB.Exec(`insert into control.users (id, email, name) values ($1, $2, $3)`, id, name+"-"+id.String()[:8]+"@example.com", name); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`insert into control.memberships (tenant_id, user_id) values ($1, $2)`, tn.ID, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// as returns a context in tn acting as a user, optionally with the
// own-records scope.
func as(tn core.Tenant, user uuid.UUID, scoped bool) context.Context {
	return core.WithActor(core.WithTenant(context.Background(), tn), core.Actor{UserID: user, Name: "u", OwnRecordsOnly: scoped})
}

func code(err error) core.Code {
	if err == nil {
		return ""
	}
	return core.ErrorCode(err)
}

func fieldsOf(err error) map[string]string {
	if e, ok := err.(*core.Error); ok {
		return e.Fields
	}
	return nil
}

func mustCustomer(t *testing.T, s *store.Store, ctx context.Context, in core.CustomerInput) core.Customer {
	t.Helper()
	c, err := s.CreateCustomer(ctx, in)
	if err != nil {
		t.Fatalf("create customer %q: %v (%v)", in.Name, err, fieldsOf(err))
	}
	return c
}

func names(cs []core.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func TestCustomerCRUD(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "crud")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	owner := member(t, env, tn, "owner")

	vip, err := s.CreateGroup(ctx, core.GroupInput{Name: "مشتریان ویژه", IsVIP: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCustomFieldDef(ctx, core.CustomFieldDefInput{Entity: "customer", Key: "employees", Label: "Employees", Type: core.FieldNumber}); err != nil {
		t.Fatal(err)
	}
	ref := "erp-1"
	c := mustCustomer(t, s, ctx, core.CustomerInput{
		Name: "  Acme   Trading ", Email: "Sales@Acme.example", Phone: "۰۲۱ ۸۸۸۸ ۱۲۳۴", OwnerID: &owner,
		Billing: &core.Address{City: "تهران", Country: "ir"}, GroupIDs: []uuid.UUID{vip.ID, vip.ID},
		Specialties: []string{"کتاب", "كتاب", "Printing"}, Custom: map[string]any{"employees": "۱۲۰"}, ExternalRef: &ref,
	})
	if c.Name != "Acme   Trading" && c.Name != "Acme Trading" {
		t.Errorf("name %q, want it trimmed", c.Name)
	}
	if c.Email != "sales@acme.example" || c.Phone != "021 8888 1234" || c.Billing.Country != "IR" || c.Status != core.CustomerActive {
		t.Errorf("normalised fields: email %q phone %q country %q status %q", c.Email, c.Phone, c.Billing.Country, c.Status)
	}
	if c.OwnerID == nil || *c.OwnerID != owner {
		t.Errorf("owner %v, want %v", c.OwnerID, owner)
	}
	if len(c.Groups) != 1 || c.Groups[0].ID != vip.ID || !c.Groups[0].IsVIP {
		t.Errorf("groups %+v, want the VIP group once", c.Groups)
	}
	if len(c.Specialties) != 2 {
		t.Errorf("specialties %+v, want 2 (کتاب typed with Arabic Kaf is the same tag)", c.Specialties)
	}
	if got, _ := json.Marshal(c.Custom); string(got) != `{"employees":120}` {
		t.Errorf("custom %s, want {\"employees\":120}", got)
	}

	got, err := s.Customer(ctx, c.ID)
	if err != nil || got.Name != c.Name || len(got.Specialties) != 2 {
		t.Fatalf("get: %+v, %v", got, err)
	}

	name, status, clear := "Acme Ltd", core.CustomerLegacy, uuid.Nil
	u, err := s.UpdateCustomer(ctx, c.ID, core.CustomerUpdate{Name: &name, Status: &status, OwnerID: &clear, Custom: map[string]any{"employees": nil}})
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "Acme Ltd" || u.Status != core.CustomerLegacy || u.OwnerID != nil || len(u.Custom) != 0 {
		t.Errorf("after update: name %q status %q owner %v custom %v", u.Name, u.Status, u.OwnerID, u.Custom)
	}
	if u.Email != c.Email || len(u.Groups) != 1 || len(u.Specialties) != 2 {
		t.Errorf("update touched fields it was not given: %+v", u)
	}
	if !u.UpdatedAt.After(c.UpdatedAt) {
		t.Errorf("updated_at %v not after %v", u.UpdatedAt, c.UpdatedAt)
	}

	// The same external_ref twice is a conflict.
	_, err = s.CreateCustomer(ctx, core.CustomerInput{Name: "Other", ExternalRef: &ref})
	if code(err) != core.CodeConflict {
		t.Errorf("duplicate external_ref: %v, want conflict", err)
	}

	if err := s.DeleteCustomer(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Customer(ctx, c.ID); code(err) != core.CodeNotFound {
		t.Errorf("after delete: %v, want not_found", err)
	}
}

func TestCustomerValidation(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "valid")
	other := env.Tenant(t, "other")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	stranger := member(t, env, other, "stranger")
	if _, err := s.CreateCustomFieldDef(ctx, core.CustomFieldDefInput{Entity: "customer", Key: "tier", Label: "Tier", Type: core.FieldSelect, Options: []string{"gold", "silver"}, Required: true}); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateCustomer(ctx, core.CustomerInput{
		Name: " ", Email: "not-an-email", Phone: "abc", Status: "lost", OwnerID: &stranger,
		Billing: &core.Address{Country: "Iran"}, GroupIDs: []uuid.UUID{core.NewID()}, ValueAddedDeals: -1,
		Custom: map[string]any{"nope": "x"},
	})
	if code(err) != core.CodeInvalid {
		t.Fatalf("got %v, want invalid", err)
	}
	want := map[string]string{
		"name": "required", "email": "not a valid email address", "phone": "not a valid phone number",
		"status": "must be active, inactive or legacy", "owner_id": "not a member of this tenant",
		"billing_address.country": "use a two-letter ISO 3166 country code", "group_ids": "no such group",
		"value_added_deals": "must not be negative", "custom.nope": "no such custom field", "custom.tier": "required",
	}
	got := fieldsOf(err)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s: %q, want %q", k, got[k], v)
		}
	}
	_, err = s.CreateCustomer(ctx, core.CustomerInput{Name: "x", Custom: map[string]any{"tier": "bronze"}})
	if f := fieldsOf(err); !strings.HasPrefix(f["custom.tier"], "must be one of") {
		t.Errorf("select outside its options: %v", err)
	}
}

// TestCustomerCrossTenant: a real id from tenant B, used through tenant
// A, names nothing.
func TestCustomerCrossTenant(t *testing.T) {
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "a"), env.Tenant(t, "b")
	ca, cb := tenanttest.Ctx(a), tenanttest.Ctx(b)
	s := store.New(env.DB)
	bc := mustCustomer(t, s, cb, core.CustomerInput{Name: "B's customer", Specialties: []string{"B-only tag"}})
	bk, err := s.CreateContact(cb, bc.ID, core.ContactInput{FirstName: "Bee"})
	if err != nil {
		t.Fatal(err)
	}
	bg, err := s.CreateGroup(cb, core.GroupInput{Name: "B group"})
	if err != nil {
		t.Fatal(err)
	}
	bd, err := s.CreateCustomFieldDef(cb, core.CustomFieldDefInput{Entity: "customer", Key: "b_only", Label: "B", Type: core.FieldText})
	if err != nil {
		t.Fatal(err)
	}
	name := "stolen"
	checks := map[string]error{}
	_, checks["Customer"] = s.Customer(ca, bc.ID)
	_, checks["UpdateCustomer"] = s.UpdateCustomer(ca, bc.ID, core.CustomerUpdate{Name: &name})
	checks["DeleteCustomer"] = s.DeleteCustomer(ca, bc.ID)
	_, checks["Profile"] = s.Profile(ca, bc.ID)
	_, checks["Contacts"] = s.Contacts(ca, bc.ID)
	_, checks["CreateContact"] = s.CreateContact(ca, bc.ID, core.ContactInput{FirstName: "x"})
	_, checks["Contact"] = s.Contact(ca, bk.ID)
	_, checks["UpdateContact"] = s.UpdateContact(ca, bk.ID, core.ContactUpdate{FirstName: &name})
	checks["DeleteContact"] = s.DeleteContact(ca, bk.ID)
	_, checks["Group"] = s.Group(ca, bg.ID)
	_, checks["UpdateGroup"] = s.UpdateGroup(ca, bg.ID, core.GroupUpdate{Name: &name})
	checks["DeleteGroup"] = s.DeleteGroup(ca, bg.ID)
	_, checks["CustomFieldDef"] = s.CustomFieldDef(ca, bd.ID)
	_, checks["UpdateCustomFieldDef"] = s.UpdateCustomFieldDef(ca, bd.ID, core.CustomFieldDefUpdate{Label: &name})
	checks["DeleteCustomFieldDef"] = s.DeleteCustomFieldDef(ca, bd.ID)
	_, checks["SetForecastOverride"] = s.SetForecastOverride(ca, bc.ID, nil)
	for op, err := range checks {
		if code(err) != core.CodeNotFound {
			t.Errorf("%s with tenant B's id through tenant A: %v, want not_found", op, err)
		}
	}
	// B's group cannot be attached in A, and B's rows are untouched.
	_, err = s.CreateCustomer(ca, core.CustomerInput{Name: "x", GroupIDs: []uuid.UUID{bg.ID}})
	if fieldsOf(err)["group_ids"] != "no such group" {
		t.Errorf("tenant B's group in tenant A: %v", err)
	}
	page, err := s.Customers(ca, core.CustomerFilter{GroupIDs: []uuid.UUID{bg.ID}})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("list in A filtered by B's group: %v %v", names(page.Items), err)
	}
	if page, _ := s.Customers(ca, core.CustomerFilter{Q: "customer"}); len(page.Items) != 0 {
		t.Errorf("search in A finds B's customers: %q", names(page.Items))
	}
	if counts, _ := s.CustomerCounts(ca, core.CustomerFilter{}); counts.All != 0 {
		t.Errorf("counts in A include B's customers: %+v", counts)
	}
	if sp, _ := s.Specialties(ca, "", 0); len(sp) != 0 {
		t.Errorf("specialties in A list B's tags: %+v", sp)
	}
	if ds, _ := s.CustomFieldDefs(ca, ""); len(ds) != 0 {
		t.Errorf("custom fields in A list B's: %+v", ds)
	}
	if gs, _ := s.Groups(ca); len(gs) != 0 {
		t.Errorf("groups in A list B's: %+v", gs)
	}
	if got, err := s.Customer(cb, bc.ID); err != nil || got.Name != "B's customer" {
		t.Errorf("B's customer after A's attempts: %+v %v", got, err)
	}
	if ks, _ := s.Contacts(cb, bc.ID); len(ks) != 1 {
		t.Errorf("B's contacts after A's attempts: %d, want 1", len(ks))
	}
}

// TestCustomerSearchPersian: the search case.
func TestCustomerSearchPersian(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "search")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	nikan := mustCustomer(t, s, ctx, core.CustomerInput{Name: "کتاب‌فروشی نیکان", Phone: "۰۹۱۲ ۳۴۵ ۶۷۸۹", Email: "info@nikan.example"})
	mustCustomer(t, s, ctx, core.CustomerInput{Name: "کتابخانه مرکزی", Phone: "021 6600 0000"})
	mustCustomer(t, s, ctx, core.CustomerInput{Name: "Acme 50% off_sale", Phone: "+1 555 0100"})

	var stored string
	if err := env.DB.Get(&stored, `select search_norm from `+tn.Schema+`.customers where id = $1`, nikan.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stored, "کتابفروشی نیکان") || !strings.Contains(stored, "09123456789") {
		t.Errorf("stored search form %q: want the name without ZWNJ and the phone in ASCII digits", stored)
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"كتابفروشي نيكان", []string{"کتاب‌فروشی نیکان"}}, // Arabic Kaf and Yeh, no ZWNJ
		{"کتاب‌فروشی", []string{"کتاب‌فروشی نیکان"}},
		{"نيكان", []string{"کتاب‌فروشی نیکان"}},
		{"کتاب فروشی", []string{"کتاب‌فروشی نیکان"}},  // words typed apart
		{"۰۹۱۲۳۴۵۶۷۸۹", []string{"کتاب‌فروشی نیکان"}}, // Persian digits
		{"٠٩١٢ ٣٤٥", []string{"کتاب‌فروشی نیکان"}},    // Arabic-Indic digits, a prefix
		{"0912-345-6789", []string{"کتاب‌فروشی نیکان"}},
		{"INFO@NIKAN", []string{"کتاب‌فروشی نیکان"}},
		{"كتاب", []string{"کتاب‌فروشی نیکان", "کتابخانه مرکزی"}},
		{"50%", []string{"Acme 50% off_sale"}},
		{"o_f", nil}, // _ is not a wildcard (it would match "off")
		{"نیکان تهران", nil},
	}
	for _, tt := range tests {
		page, err := s.Customers(ctx, core.CustomerFilter{Q: tt.q})
		if err != nil {
			t.Fatalf("q=%q: %v", tt.q, err)
		}
		got := names(page.Items)
		want := tt.want
		if want == nil {
			want = []string{}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("q=%q: %q, want %q", tt.q, got, want)
		}
	}
}

func TestCustomerFiltersAndCounts(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "filters")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	u1, u2 := member(t, env, tn, "u1"), member(t, env, tn, "u2")
	vip, _ := s.CreateGroup(ctx, core.GroupInput{Name: "VIP", IsVIP: true})
	retail, _ := s.CreateGroup(ctx, core.GroupInput{Name: "Retail"})
	for _, d := range []core.CustomFieldDefInput{
		{Entity: "customer", Key: "employees", Label: "Employees", Type: core.FieldNumber},
		{Entity: "customer", Key: "since", Label: "Customer since", Type: core.FieldDate},
		{Entity: "customer", Key: "tier", Label: "Tier", Type: core.FieldSelect, Options: []string{"gold", "silver", "bronze"}},
		{Entity: "customer", Key: "channels", Label: "Channels", Type: core.FieldMultiSelect, Options: []string{"web", "shop", "phone"}},
		{Entity: "customer", Key: "note", Label: "Note", Type: core.FieldText},
	} {
		if _, err := s.CreateCustomFieldDef(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	type row struct {
		name   string
		status core.CustomerStatus
		groups []uuid.UUID
		owner  *uuid.UUID
		addr   core.Address
		spec   []string
		custom map[string]any
	}
	rows := []row{
		{"A", "active", []uuid.UUID{vip.ID}, &u1, core.Address{Country: "IR", Province: "تهران", City: "تهران"}, []string{"کتاب"},
			map[string]any{"employees": json.Number("10"), "since": "2020-01-15", "tier": "gold", "channels": []any{"web", "shop"}}},
		{"B", "active", []uuid.UUID{retail.ID}, &u2, core.Address{Country: "IR", Province: "اصفهان", City: "کاشان"}, nil,
			map[string]any{"employees": json.Number("250.5"), "since": "2023-06-01", "tier": "silver", "channels": []any{"phone"}}},
		{"C", "inactive", []uuid.UUID{vip.ID, retail.ID}, &u1, core.Address{Country: "DE", City: "Berlin"}, []string{"Printing"},
			map[string]any{"employees": json.Number("-3"), "tier": "bronze"}},
		{"D", "legacy", nil, nil, core.Address{Country: "IR", Province: "تهران", City: "تهران"}, []string{"كتاب"},
			map[string]any{"since": "2019-12-31", "note": "old"}},
		{"E", "active", nil, &u2, core.Address{}, nil, nil},
	}
	for _, r := range rows {
		b := r.addr
		mustCustomer(t, s, ctx, core.CustomerInput{Name: r.name, Status: r.status, GroupIDs: r.groups, OwnerID: r.owner, Billing: &b, Specialties: r.spec, Custom: r.custom})
	}
	yes, no := true, false
	cf := func(key string, op core.CustomFilterOp, vals ...string) []core.CustomFilter {
		return []core.CustomFilter{{Key: key, Op: op, Values: vals}}
	}
	tests := []struct {
		name   string
		f      core.CustomerFilter
		want   string
		counts core.CustomerCounts
	}{
		{"all", core.CustomerFilter{}, "ABCDE", core.CustomerCounts{All: 5, Active: 3, Inactive: 1, Legacy: 1}},
		{"status", core.CustomerFilter{Status: []core.CustomerStatus{"active"}}, "ABE", core.CustomerCounts{All: 5, Active: 3, Inactive: 1, Legacy: 1}},
		{"status any-of", core.CustomerFilter{Status: []core.CustomerStatus{"inactive", "legacy"}}, "CD", core.CustomerCounts{All: 5, Active: 3, Inactive: 1, Legacy: 1}},
		{"group", core.CustomerFilter{GroupIDs: []uuid.UUID{vip.ID}}, "AC", core.CustomerCounts{All: 2, Active: 1, Inactive: 1}},
		{"group any-of + status", core.CustomerFilter{GroupIDs: []uuid.UUID{vip.ID, retail.ID}, Status: []core.CustomerStatus{"active"}}, "AB", core.CustomerCounts{All: 3, Active: 2, Inactive: 1}},
		{"vip", core.CustomerFilter{VIP: &yes}, "AC", core.CustomerCounts{All: 2, Active: 1, Inactive: 1}},
		{"not vip", core.CustomerFilter{VIP: &no}, "BDE", core.CustomerCounts{All: 3, Active: 2, Legacy: 1}},
		{"specialty by name, Arabic Kaf", core.CustomerFilter{Specialties: []string{"كتاب"}}, "AD", core.CustomerCounts{All: 2, Active: 1, Legacy: 1}},
		{"country", core.CustomerFilter{Countries: []string{"ir"}}, "ABD", core.CustomerCounts{All: 3, Active: 2, Legacy: 1}},
		{"province", core.CustomerFilter{Provinces: []string{"تهران"}}, "AD", core.CustomerCounts{All: 2, Active: 1, Legacy: 1}},
		{"city any-of", core.CustomerFilter{Cities: []string{"کاشان", "Berlin"}}, "BC", core.CustomerCounts{All: 2, Active: 1, Inactive: 1}},
		{"owner", core.CustomerFilter{OwnerIDs: []uuid.UUID{u2}}, "BE", core.CustomerCounts{All: 2, Active: 2}},
		{"cf select any-of", core.CustomerFilter{Custom: cf("tier", core.CustomEq, "gold", "bronze")}, "AC", core.CustomerCounts{All: 2, Active: 1, Inactive: 1}},
		{"cf multi-select", core.CustomerFilter{Custom: cf("channels", core.CustomEq, "shop")}, "A", core.CustomerCounts{All: 1, Active: 1}},
		{"cf number eq, Persian digits", core.CustomerFilter{Custom: cf("employees", core.CustomEq, "۱۰")}, "A", core.CustomerCounts{All: 1, Active: 1}},
		{"cf number gte", core.CustomerFilter{Custom: cf("employees", core.CustomGte, "۱۰")}, "AB", core.CustomerCounts{All: 2, Active: 2}},
		{"cf number lte", core.CustomerFilter{Custom: cf("employees", core.CustomLte, "10")}, "AC", core.CustomerCounts{All: 2, Active: 1, Inactive: 1}},
		{"cf date range", core.CustomerFilter{Custom: append(cf("since", core.CustomGte, "2020-01-01"), cf("since", core.CustomLte, "2023-12-31")...)}, "AB", core.CustomerCounts{All: 2, Active: 2}},
		{"cf text", core.CustomerFilter{Custom: cf("note", core.CustomEq, "old")}, "D", core.CustomerCounts{All: 1, Legacy: 1}},
	}
	for _, tt := range tests {
		page, err := s.Customers(ctx, tt.f)
		if err != nil {
			t.Errorf("%s: %v (%v)", tt.name, err, fieldsOf(err))
			continue
		}
		if got := strings.Join(names(page.Items), ""); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
		counts, err := s.CustomerCounts(ctx, tt.f)
		if err != nil || counts != tt.counts {
			t.Errorf("%s counts: %+v %v, want %+v", tt.name, counts, err, tt.counts)
		}
	}
	for name, f := range map[string]core.CustomerFilter{
		"cf.nope":      {Custom: cf("nope", core.CustomEq, "x")},
		"cf.tier.gte":  {Custom: cf("tier", core.CustomGte, "gold")},
		"cf.employees": {Custom: cf("employees", core.CustomEq, "many")},
		"status":       {Status: []core.CustomerStatus{"gone"}},
		"sort":         {Sort: "shoe_size"},
		"cursor":       {Cursor: "garbage!"},
	} {
		_, err := s.Customers(ctx, f)
		if code(err) != core.CodeInvalid || fieldsOf(err)[name] == "" {
			t.Errorf("bad filter %s: %v %v, want invalid naming %s", name, err, fieldsOf(err), name)
		}
	}
}

func TestCustomerKeysetPagination(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "pages")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	var want []string
	for i := 1; i <= 7; i++ {
		n := fmt.Sprintf("Customer %02d", i)
		want = append(want, n)
		// Two customers share a name: the id breaks the tie.
		if i == 4 {
			mustCustomer(t, s, ctx, core.CustomerInput{Name: n})
			want = append(want, n)
		}
		mustCustomer(t, s, ctx, core.CustomerInput{Name: n})
	}
	for _, sort := range []core.CustomerSort{"name", "-name", "created", "-created", "updated"} {
		var got []string
		seen := map[uuid.UUID]bool{}
		f := core.CustomerFilter{Sort: sort, Limit: 3}
		pages := 0
		for {
			page, err := s.Customers(ctx, f)
			if err != nil {
				t.Fatalf("%s: %v", sort, err)
			}
			pages++
			for _, c := range page.Items {
				if seen[c.ID] {
					t.Errorf("%s: %s returned twice", sort, c.Name)
				}
				seen[c.ID] = true
				got = append(got, c.Name)
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		w := slices.Clone(want)
		if strings.HasPrefix(string(sort), "-") {
			slices.Reverse(w)
		}
		if !slices.Equal(got, w) || pages != 3 {
			t.Errorf("%s: %d pages %q, want 3 pages %q", sort, pages, got, w)
		}
	}
	page, _ := s.Customers(ctx, core.CustomerFilter{Sort: "name", Limit: 3})
	if _, err := s.Customers(ctx, core.CustomerFilter{Sort: "-created", Cursor: page.NextCursor}); fieldsOf(err)["cursor"] == "" {
		t.Errorf("a name cursor used with -created: %v, want invalid cursor", err)
	}
}

// TestOwnRecordsScope: a scoped user sees only customers they own and what
// hangs off them, through every store path.
func TestOwnRecordsScope(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "scope")
	sys := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	me, other := member(t, env, tn, "me"), member(t, env, tn, "other")
	g, _ := s.CreateGroup(sys, core.GroupInput{Name: "G"})
	mine := mustCustomer(t, s, sys, core.CustomerInput{Name: "Nikan mine", OwnerID: &me, GroupIDs: []uuid.UUID{g.ID}})
	theirs := mustCustomer(t, s, sys, core.CustomerInput{Name: "Nikan theirs", OwnerID: &other, GroupIDs: []uuid.UUID{g.ID}, Status: "inactive"})
	nobody := mustCustomer(t, s, sys, core.CustomerInput{Name: "Nikan nobody's", GroupIDs: []uuid.UUID{g.ID}})
	theirContact, err := s.CreateContact(sys, theirs.ID, core.ContactInput{FirstName: "T"})
	if err != nil {
		t.Fatal(err)
	}
	scoped := as(tn, me, true)

	page, err := s.Customers(scoped, core.CustomerFilter{})
	if err != nil || strings.Join(names(page.Items), ",") != "Nikan mine" {
		t.Errorf("list: %q %v, want only mine", names(page.Items), err)
	}
	page, _ = s.Customers(scoped, core.CustomerFilter{Q: "nikan"})
	if strings.Join(names(page.Items), ",") != "Nikan mine" {
		t.Errorf("search: %q, want only mine", names(page.Items))
	}
	page, _ = s.Customers(scoped, core.CustomerFilter{OwnerIDs: []uuid.UUID{other}})
	if len(page.Items) != 0 {
		t.Errorf("filtering by another owner: %q, want none", names(page.Items))
	}
	if counts, _ := s.CustomerCounts(scoped, core.CustomerFilter{}); counts != (core.CustomerCounts{All: 1, Active: 1}) {
		t.Errorf("counts: %+v, want only mine", counts)
	}
	if gs, _ := s.Groups(scoped); len(gs) != 1 || gs[0].Customers != 1 {
		t.Errorf("group counts: %+v, want 1 customer", gs)
	}
	for _, id := range []uuid.UUID{theirs.ID, nobody.ID} {
		name := "x"
		checks := map[string]error{}
		_, checks["Customer"] = s.Customer(scoped, id)
		_, checks["Profile"] = s.Profile(scoped, id)
		_, checks["Contacts"] = s.Contacts(scoped, id)
		_, checks["CreateContact"] = s.CreateContact(scoped, id, core.ContactInput{FirstName: "x"})
		_, checks["UpdateCustomer"] = s.UpdateCustomer(scoped, id, core.CustomerUpdate{Name: &name})
		checks["DeleteCustomer"] = s.DeleteCustomer(scoped, id)
		for op, err := range checks {
			if code(err) != core.CodeNotFound {
				t.Errorf("%s on a customer not mine: %v, want not_found", op, err)
			}
		}
	}
	if _, err := s.Contact(scoped, theirContact.ID); code(err) != core.CodeNotFound {
		t.Errorf("their contact: %v, want not_found", err)
	}
	if _, err := s.Profile(scoped, mine.ID); err != nil {
		t.Errorf("my profile: %v", err)
	}
	// A scoped user's new customer is theirs; they cannot give it away.
	c, err := s.CreateCustomer(scoped, core.CustomerInput{Name: "New"})
	if err != nil || c.OwnerID == nil || *c.OwnerID != me {
		t.Errorf("scoped create: owner %v %v, want me", c.OwnerID, err)
	}
	if _, err := s.UpdateCustomer(scoped, mine.ID, core.CustomerUpdate{OwnerID: &other}); fieldsOf(err)["owner_id"] == "" {
		t.Errorf("scoped user giving a customer away: %v, want invalid owner_id", err)
	}
	// Without the scope the same user sees everyone's.
	if page, _ := s.Customers(as(tn, me, false), core.CustomerFilter{}); len(page.Items) != 4 {
		t.Errorf("unscoped list: %q, want 4", names(page.Items))
	}
	// No actor at all: nothing is read.
	if _, err := s.Customers(core.WithTenant(context.Background(), tn), core.CustomerFilter{}); err == nil {
		t.Error("list without an actor succeeded")
	}
}

func TestContacts(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "contacts")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	if _, err := s.CreateCustomFieldDef(ctx, core.CustomFieldDefInput{Entity: "contact", Key: "birthday", Label: "Birthday", Type: core.FieldDate}); err != nil {
		t.Fatal(err)
	}
	c := mustCustomer(t, s, ctx, core.CustomerInput{Name: "Acme"})
	first, err := s.CreateContact(ctx, c.ID, core.ContactInput{FirstName: "سارا", LastName: "محمدی", Email: "Sara@Acme.example",
		EmailConsent: &core.ConsentInput{Given: true, Source: "web form"}, Custom: map[string]any{"birthday": "۱۹۹۰-۰۵-۰۱"}})
	if err != nil {
		t.Fatalf("%v %v", err, fieldsOf(err))
	}
	if !first.Primary || !first.Active || first.Email != "sara@acme.example" {
		t.Errorf("first contact: %+v, want primary, active, lowercased email", first)
	}
	if !first.EmailConsent.Given || first.EmailConsent.At == nil || first.EmailConsent.Source != "web form" || first.SMSConsent.Given {
		t.Errorf("consent: %+v / %+v", first.EmailConsent, first.SMSConsent)
	}
	if first.Custom["birthday"] != "1990-05-01" {
		t.Errorf("custom birthday %v, want 1990-05-01", first.Custom["birthday"])
	}
	second, err := s.CreateContact(ctx, c.ID, core.ContactInput{FirstName: "Ali", Primary: true, Phone: "۰۹۱۲۰۰۰۰۰۰۰"})
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := s.Contacts(ctx, c.ID)
	if len(ks) != 2 || ks[0].ID != second.ID || !ks[0].Primary || ks[1].Primary {
		t.Errorf("after a second primary: %+v", ks)
	}
	_, err = s.CreateContact(ctx, c.ID, core.ContactInput{SMSConsent: &core.ConsentInput{Given: true}, Custom: map[string]any{"birthday": "tomorrow"}})
	f := fieldsOf(err)
	if code(err) != core.CodeInvalid || f["first_name"] == "" || f["sms_consent"] == "" || f["custom.birthday"] == "" {
		t.Errorf("invalid contact: %v %v", err, f)
	}
	no := false
	up, err := s.UpdateContact(ctx, first.ID, core.ContactUpdate{EmailConsent: &core.ConsentInput{Given: false}, Active: &no})
	if err != nil {
		t.Fatal(err)
	}
	if up.EmailConsent.Given || up.EmailConsent.At == nil || up.Active || up.FirstName != "سارا" {
		t.Errorf("after withdrawing consent: %+v", up)
	}
	if err := s.DeleteContact(ctx, second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Contact(ctx, second.ID); code(err) != core.CodeNotFound {
		t.Errorf("deleted contact: %v", err)
	}
}

func TestGroupsAndCustomFieldDefs(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "defs")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	g, err := s.CreateGroup(ctx, core.GroupInput{Name: "Wholesale"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateGroup(ctx, core.GroupInput{Name: "WHOLESALE"}); code(err) != core.CodeConflict {
		t.Errorf("duplicate group name: %v, want conflict", err)
	}
	if _, err := s.CreateGroup(ctx, core.GroupInput{Name: ""}); fieldsOf(err)["name"] != "required" {
		t.Errorf("empty group name: %v", err)
	}
	yes := true
	if g, err = s.UpdateGroup(ctx, g.ID, core.GroupUpdate{IsVIP: &yes}); err != nil || !g.IsVIP || g.Name != "Wholesale" {
		t.Errorf("update group: %+v %v", g, err)
	}
	d, err := s.CreateCustomFieldDef(ctx, core.CustomFieldDefInput{Entity: "customer", Key: "tier", Label: "Tier", Type: core.FieldSelect, Options: []string{"gold", " gold", "silver"}})
	if err != nil || !slices.Equal(d.Options, []string{"gold", "silver"}) {
		t.Fatalf("create def: %+v %v", d, err)
	}
	if _, err := s.CreateCustomFieldDef(ctx, core.CustomFieldDefInput{Entity: "customer", Key: "tier", Label: "Again", Type: core.FieldText}); code(err) != core.CodeConflict {
		t.Errorf("duplicate key: %v, want conflict", err)
	}
	_, err = s.CreateCustomFieldDef(ctx, core.CustomFieldDefInput{Entity: "deal", Key: "Bad Key", Type: "colour"})
	if f := fieldsOf(err); f["entity"] == "" || f["key"] == "" || f["label"] == "" || f["type"] == "" {
		t.Errorf("invalid def: %v", f)
	}
	c := mustCustomer(t, s, ctx, core.CustomerInput{Name: "Acme", Custom: map[string]any{"tier": "gold"}, GroupIDs: []uuid.UUID{g.ID}})
	if err := s.DeleteCustomFieldDef(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Customer(ctx, c.ID); len(c.Custom) != 0 {
		t.Errorf("values of a deleted field remain: %v", c.Custom)
	}
	if err := s.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Customer(ctx, c.ID); len(c.Groups) != 0 {
		t.Errorf("deleted group still on the customer: %+v", c.Groups)
	}
}

func TestProfileAndForecast(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "profile")
	ctx := tenanttest.Ctx(tn)
	s := store.New(env.DB)
	me := member(t, env, tn, "me")
	c := mustCustomer(t, s, ctx, core.CustomerInput{Name: "Acme", Shipping: &core.Address{City: "Shiraz", Country: "IR"}})
	if _, err := s.CreateContact(ctx, c.ID, core.ContactInput{FirstName: "A"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`insert into `+tn.Schema+`.notes (id, customer_id, body) values ($1, $2, 'hello')`, core.NewID(), c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.DB.Exec(`update `+tn.Schema+`.customers set invoiced_total = 12345, overdue_invoices = 2,
		sales_forecast_at = '2030-01-01T00:00:00Z', sales_forecast = '{"expected_purchases": 1.5}' where id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Customer.Shipping.City != "Shiraz" || len(p.Contacts) != 1 || p.Counts.Contacts != 1 || p.Counts.Notes != 1 || p.Counts.OverdueInvoices != 2 {
		t.Errorf("profile: %+v", p)
	}
	if p.Totals.Invoiced != (core.Money{Amount: 12345, Currency: "USD"}) {
		t.Errorf("invoiced total %+v, want 12345 USD", p.Totals.Invoiced)
	}
	if p.Recent.Notes == nil || p.Timeline == nil || p.Fields == nil {
		t.Errorf("sections must be present even when empty: %+v %+v", p.Recent, p.Timeline)
	}
	sys := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if f := p.Customer.Forecast; f == nil || f.At == nil || !f.At.Equal(sys) || string(f.Verdict) != `{"expected_purchases": 1.5}` {
		t.Errorf("system forecast: %+v", f)
	}
	// An override wins while its date lies ahead, and records who and when.
	at := time.Now().Add(48 * time.Hour).Truncate(time.Second)
	oc, err := s.SetForecastOverride(as(tn, me, false), c.ID, &at)
	if err != nil {
		t.Fatal(err)
	}
	if f := oc.Forecast; f.At == nil || !f.At.Equal(at) || f.Override == nil || f.Override.By != me || !f.SystemAt.Equal(sys) {
		t.Errorf("override: %+v", f)
	}
	past := time.Now().Add(-time.Hour)
	if _, err := s.SetForecastOverride(ctx, c.ID, &past); fieldsOf(err)["at"] == "" {
		t.Errorf("override in the past: %v", err)
	}
	// An override whose date passed gives way to the system's forecast.
	if _, err := env.DB.Exec(`update `+tn.Schema+`.customers set forecast_override_at = now() - interval '1 day' where id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	if c2, _ := s.Customer(ctx, c.ID); !c2.Forecast.At.Equal(sys) || c2.Forecast.Override == nil {
		t.Errorf("expired override: %+v", c2.Forecast)
	}
	cleared, err := s.SetForecastOverride(ctx, c.ID, nil)
	if err != nil || cleared.Forecast.Override != nil {
		t.Errorf("cleared override: %+v %v", cleared.Forecast, err)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "idem-a"), env.Tenant(t, "idem-b")
	ca, cb := tenanttest.Ctx(a), tenanttest.Ctx(b)
	s := store.New(env.DB)
	k := store.IdempotencyKey{Caller: "user:1", Key: "k1", Route: "POST /api/v1/customers"}
	h1, h2 := []byte("hash-1"), []byte("hash-2")
	if rec, err := s.ClaimIdempotencyKey(ca, k, h1); err != nil || rec != nil {
		t.Fatalf("first claim: %+v %v, want ours", rec, err)
	}
	if rec, err := s.ClaimIdempotencyKey(ca, k, h1); err != nil || rec == nil || rec.Status != 0 {
		t.Fatalf("claim while running: %+v %v, want a running record", rec, err)
	}
	// The same key in another tenant, or by another caller, is another key.
	if rec, _ := s.ClaimIdempotencyKey(cb, k, h2); rec != nil {
		t.Errorf("same key in tenant B: %+v, want a fresh claim", rec)
	}
	k2 := k
	k2.Caller = "user:2"
	if rec, _ := s.ClaimIdempotencyKey(ca, k2, h2); rec != nil {
		t.Errorf("same key by another caller: %+v, want a fresh claim", rec)
	}
	if err := s.FinishIdempotencyKey(ca, k, 201, []byte(`{"id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	rec, _ := s.ClaimIdempotencyKey(ca, k, h1)
	if rec == nil || rec.Status != 201 || string(rec.Response) != `{"id":"x"}` || !rec.Same(h1) || rec.Same(h2) {
		t.Errorf("replay record: %+v", rec)
	}
	// A released claim may be retried.
	if err := s.ReleaseIdempotencyKey(ca, k2); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.ClaimIdempotencyKey(ca, k2, h1); rec != nil {
		t.Errorf("claim after release: %+v, want a fresh claim", rec)
	}
	// After 24 h the key is forgotten.
	if _, err := env.DB.Exec(`update ` + a.Schema + `.idempotency_keys set created_at = now() - interval '25 hours'`); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.ClaimIdempotencyKey(ca, k, h2); rec != nil {
		t.Errorf("claim of an expired key: %+v, want a fresh claim", rec)
	}
}
