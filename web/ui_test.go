package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web"
	"github.com/gomato/gomato/web/i18n"
	"github.com/gomato/gomato/web/webtest"
)

// uiFixture is a tenant with customers, linked records and scores, and a
// user of every default role.
type uiFixture struct {
	h        *webtest.Harness
	tn       core.Tenant
	users    map[string]webtest.User
	high     core.Customer // active, high risk, owned by sales
	script   core.Customer // named <script>alert(1)</script>
	bidi     core.Customer // a name with bidi controls
	other    core.Tenant
	otherCus core.Customer
}

const scriptName = "<script>alert(1)</script>"

// bidiName carries a right-to-left override and an isolate that are never
// closed; shown raw they would reverse everything after them.
const bidiName = "شرکت \u202eevil.exe\u2067 ltd"

func setLocale(t testing.TB, h *webtest.Harness, u webtest.User, l string) {
	t.Helper()
	if _, err := h.Env.DB.Exec(`update control.users set locale = $1 where id = $2`, l, u.ID); err != nil {
		t.Fatal(err)
	}
}

func newUIFixture(t testing.TB) *uiFixture {
	t.Helper()
	h := webtest.New(t)
	f := &uiFixture{h: h, users: map[string]webtest.User{}}
	f.tn = h.Tenant(t, "ui")
	for _, r := range []string{authz.RoleTenantAdmin, authz.RoleManager, authz.RoleSales, authz.RoleSupport} {
		f.users[r] = h.User(t, f.tn, r)
	}
	ctx := tenanttest.Ctx(f.tn)
	st := h.Store
	vip, err := st.CreateGroup(ctx, core.GroupInput{Name: "مشتریان ویژه", IsVIP: true})
	if err != nil {
		t.Fatal(err)
	}
	owner := f.users[authz.RoleSales].ID
	mk := func(name, status string, groups ...uuid.UUID) core.Customer {
		c, err := st.CreateCustomer(ctx, core.CustomerInput{Name: name, Status: core.CustomerStatus(status), OwnerID: &owner,
			GroupIDs: groups, Specialties: []string{"نرم‌افزار"}, Billing: &core.Address{City: "تهران", Country: "IR"}})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return c
	}
	f.high = mk("شرکت آلفا", "active", vip.ID)
	f.script = mk(scriptName, "active")
	f.bidi = mk(bidiName, "inactive")
	mk("Legacy Co", "legacy")
	insertScore(t, h.Env.DB, f.tn, f.high.ID, 0.82, "high", 125000000)
	insertScore(t, h.Env.DB, f.tn, f.script.ID, 0.12, "low", 5000)
	body := "called about renewal"
	kind := "call"
	if _, err := st.CreateNote(ctx, f.high.ID, core.NoteUpdate{Kind: &kind, Body: &body}); err != nil {
		t.Fatal(err)
	}
	// A referral each way and a reward, so the timeline has every kind.
	note := "met at a fair"
	if _, err := st.CreateReferral(ctx, core.ReferralUpdate{ReferrerID: &f.high.ID, ReferredID: &f.script.ID, Note: &note}); err != nil {
		t.Fatal(err)
	}
	rk, amount, cur, reason := "credit", int64(50000), "USD", "referral bonus"
	if _, err := st.CreateReward(ctx, f.high.ID, core.RewardUpdate{Kind: &rk, Amount: &amount, Currency: &cur, Reason: &reason}); err != nil {
		t.Fatal(err)
	}
	f.other = h.Tenant(t, "ui-other")
	f.otherCus, err = st.CreateCustomer(tenanttest.Ctx(f.other), core.CustomerInput{Name: "Other tenant's customer"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// insertScore writes a score row the way a scoring run would.
func insertScore(t testing.TB, db *sqlx.DB, tn core.Tenant, id uuid.UUID, risk float64, level string, clv int64) {
	t.Helper()
	reasons := `[{"code":"recency","weight":1.2,"text_en":"no purchase for 140 days, 3× the usual gap","text_fa":"۱۴۰ روز بدون خرید، ۳ برابر فاصلهٔ معمول"},
		{"code":"overdue_invoices","weight":0.8,"text_en":"2 overdue invoices","text_fa":"۲ صورتحساب سررسید گذشته"}]`
	comps := `{"payment":0.5,"support":0.8,"engagement":0.3,"retention":0.18,"w_payment":0.25,"w_support":0.2,"w_engagement":0.25,"w_retention":0.3}`
	err := tenant.Tx(tenanttest.Ctx(tn), db, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`insert into scores (customer_id, run_id, computed_at, model, risk, risk_level, reasons, p_alive,
			expected_purchases, expected_spend, clv, segment, health, health_components, cross_sell)
			values ($1, $2, $3, 'test', $4, $5, $6, 0.37, 1.5, 2500000, $7, 'At risk', 42, $8, '["accounting software"]')`,
			id, core.NewID(), time.Date(2025, 3, 20, 10, 0, 0, 0, time.UTC), risk, level, reasons, clv, comps)
		return err
	})
	if err != nil {
		t.Fatalf("insert score: %v", err)
	}
}

func (f *uiFixture) get(t testing.TB, u webtest.User, path string) *webtest.Resp {
	t.Helper()
	return f.h.Do(t, webtest.Req{As: u, Path: path})
}

func (f *uiFixture) post(t testing.TB, u webtest.User, path string, form url.Values) *webtest.Resp {
	t.Helper()
	return f.h.Do(t, webtest.Req{As: u, Method: "POST", Path: path, Body: form.Encode(),
		Header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}})
}

var missingRE = regexp.MustCompile(regexp.QuoteMeta(i18n.MissingMark) + `[^⟧]*⟧`)

// TestUIPagesRenderForEveryRole opens every page as every role in both
// languages: pages a role may use render without a missing translation;
// the others answer 403 with an error page in the user's language.
func uiPagesRenderForEveryRole(t *testing.T, f *uiFixture) {
	base := "/t/" + f.tn.Slug
	prof := base + "/customers/" + f.high.ID.String()
	pages := []struct {
		path string
		perm authz.Permission
	}{
		{base + "/customers", authz.P(authz.Customers, authz.Read)},
		{base + "/customers?status=active&risk=high&sort=-risk", authz.P(authz.Scores, authz.Read)},
		{base + "/customers?q=%D8%A2%D9%84%D9%81%D8%A7&vip=1&status=active", authz.P(authz.Customers, authz.Read)},
		{base + "/customers/new", authz.P(authz.Customers, authz.Create)},
		{base + "/dashboard", authz.P(authz.Dashboard, authz.Read)},
		{base + "/tasks", authz.P(authz.Customers, authz.Read)},
		{base + "/settings", authz.P(authz.Users, authz.Read)},
		{prof, authz.P(authz.Customers, authz.Read)},
		{prof + "/edit", authz.P(authz.Customers, authz.Update)},
	}
	for _, tab := range []string{"overview", "contacts", "notes", "tickets", "contracts", "proposals", "invoices", "payments", "referrals"} {
		pages = append(pages, struct {
			path string
			perm authz.Permission
		}{prof + "?tab=" + tab, authz.P(authz.Customers, authz.Read)})
	}
	// Expected access from DESIGN §4, written out here.
	may := map[string]map[authz.Permission]bool{
		authz.RoleTenantAdmin: {authz.P(authz.Customers, authz.Read): true, authz.P(authz.Scores, authz.Read): true, authz.P(authz.Dashboard, authz.Read): true, authz.P(authz.Users, authz.Read): true},
		authz.RoleManager:     {authz.P(authz.Customers, authz.Read): true, authz.P(authz.Scores, authz.Read): true, authz.P(authz.Customers, authz.Create): true, authz.P(authz.Customers, authz.Update): true, authz.P(authz.Dashboard, authz.Read): true},
		authz.RoleSales:       {authz.P(authz.Customers, authz.Read): true, authz.P(authz.Scores, authz.Read): true, authz.P(authz.Customers, authz.Create): true, authz.P(authz.Customers, authz.Update): true, authz.P(authz.Dashboard, authz.Read): true},
		authz.RoleSupport:     {authz.P(authz.Customers, authz.Read): true},
	}
	for role, u := range f.users {
		for _, lang := range []string{"fa", "en"} {
			setLocale(t, f.h, u, lang)
			for _, pg := range pages {
				resp := f.get(t, u, pg.path)
				want := http.StatusOK
				if !may[role][pg.perm] {
					want = http.StatusForbidden
				}
				body := string(resp.Body)
				if resp.Status != want {
					t.Errorf("%s/%s GET %s = %d, want %d\n%.400s", role, lang, pg.path, resp.Status, want, body)
					continue
				}
				if m := missingRE.FindString(body); m != "" {
					t.Errorf("%s/%s GET %s shows missing translation %s", role, lang, pg.path, m)
				}
				wantHTML := `<html lang="en" dir="ltr">`
				if lang == "fa" {
					wantHTML = `<html lang="fa" dir="rtl">`
				}
				if !strings.Contains(body, wantHTML) {
					t.Errorf("%s/%s GET %s: no %s", role, lang, pg.path, wantHTML)
				}
			}
		}
	}
}

// TestUINavigationFollowsRoles: nobody sees a menu item they cannot use.
func uiNavigationFollowsRoles(t *testing.T, f *uiFixture) {
	path := "/t/" + f.tn.Slug + "/customers"
	for role, u := range f.users {
		body := string(f.get(t, u, path).Body)
		if !strings.Contains(body, `data-nav="customers"`) {
			t.Errorf("%s: no customers item in the navigation", role)
		}
		wantNav := map[string][]string{
			authz.RoleTenantAdmin: {"dashboard", "customers", "tasks", "settings"},
			authz.RoleManager:     {"dashboard", "customers", "tasks"},
			authz.RoleSales:       {"dashboard", "customers", "tasks"},
			authz.RoleSupport:     {"customers", "tasks"},
		}[role]
		for _, item := range []string{"dashboard", "customers", "tasks", "settings"} {
			want := false
			for _, w := range wantNav {
				want = want || w == item
			}
			if got := strings.Contains(body, `data-nav="`+item+`"`); got != want {
				t.Errorf("%s: navigation item %s shown = %v, want %v", role, item, got, want)
			}
		}
		for _, item := range []string{"export-csv", "new-customer", "f-risk"} {
			wantShown := map[string]map[string]bool{
				"export-csv":   {authz.RoleTenantAdmin: true, authz.RoleManager: true, authz.RoleSales: true},
				"new-customer": {authz.RoleManager: true, authz.RoleSales: true},
				"f-risk":       {authz.RoleTenantAdmin: true, authz.RoleManager: true, authz.RoleSales: true},
			}[item][role]
			if got := strings.Contains(body, `id="`+item+`"`); got != wantShown {
				t.Errorf("%s: %s shown = %v, want %v", role, item, got, wantShown)
			}
		}
	}
}

// TestUIEscaping: a customer named like a script and one with bidi
// controls are shown as text, isolated, in the list and on the profile.
func uiEscaping(t *testing.T, f *uiFixture) {
	u := f.users[authz.RoleSales]
	for _, path := range []string{"/t/" + f.tn.Slug + "/customers", "/t/" + f.tn.Slug + "/customers/" + f.script.ID.String()} {
		body := string(f.get(t, u, path).Body)
		if strings.Contains(body, scriptName) {
			t.Errorf("GET %s contains the raw script tag", path)
		}
		if !strings.Contains(body, "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;</bdi>") {
			t.Errorf("GET %s does not show the escaped name inside <bdi>", path)
		}
	}
	body := string(f.get(t, u, "/t/"+f.tn.Slug+"/customers?status=inactive").Body)
	if !strings.Contains(body, "<bdi>"+bidiName+"</bdi>") {
		t.Errorf("the bidi name is not isolated in <bdi>")
	}
}

// TestUISupportSeesHealthWithoutRisk: support's retention card has no
// risk, reasons, CLV or forecast, but shows health without its risk
// component; sales sees all of it.
func uiSupportSeesHealthWithoutRisk(t *testing.T, f *uiFixture) {
	path := "/t/" + f.tn.Slug + "/customers/" + f.high.ID.String()
	setLocale(t, f.h, f.users[authz.RoleSupport], "en")
	setLocale(t, f.h, f.users[authz.RoleSales], "en")
	support := string(f.get(t, f.users[authz.RoleSupport], path).Body)
	for _, absent := range []string{`id="risk"`, `id="clv"`, `id="risk-reasons"`, "no purchase for 140 days", `id="forecast"`, `data-component="retention"`, `id="p-alive"`} {
		if strings.Contains(support, absent) {
			t.Errorf("support's profile contains %s", absent)
		}
	}
	if !strings.Contains(support, `id="health-score"`) {
		t.Fatal("support's profile shows no health")
	}
	// Without risk: (0.25·0.5 + 0.2·0.8 + 0.25·0.3) / 0.7 = 0.5143 → 51.
	if !strings.Contains(support, `id="health-score">51<`) {
		t.Errorf("support's health is not the risk-free 51: %s", between(support, `id="health-score"`, 40))
	}
	sales := string(f.get(t, f.users[authz.RoleSales], path).Body)
	for _, present := range []string{`id="risk"`, `id="clv"`, "no purchase for 140 days, 3× the usual gap", "2 overdue invoices",
		`id="health-score">42<`, `data-component="retention"`, "USD 1,250,000.00", "37%"} {
		if !strings.Contains(sales, present) {
			t.Errorf("sales' profile lacks %s", present)
		}
	}
}

func between(s, marker string, n int) string {
	i := strings.Index(s, marker)
	if i < 0 {
		return "(absent)"
	}
	if i+n > len(s) {
		return s[i:]
	}
	return s[i : i+n]
}

// TestUIPersianProfile: a Persian user gets RTL, Persian digits, Jalali
// dates and reasons in Persian.
func uiPersianProfile(t *testing.T, f *uiFixture) {
	u := f.users[authz.RoleSales]
	setLocale(t, f.h, u, "fa")
	body := string(f.get(t, u, "/t/"+f.tn.Slug+"/customers/"+f.high.ID.String()).Body)
	for _, want := range []string{`<html lang="fa" dir="rtl">`, "۱۴۰ روز بدون خرید", "۱۴۰۳/۱۲/۳۰", "۳۷٪", "۸۲٪"} {
		if !strings.Contains(body, want) {
			t.Errorf("Persian profile lacks %q", want)
		}
	}
}

// TestUICrossTenant: another tenant's pages and customers are 404 pages.
func uiCrossTenant(t *testing.T, f *uiFixture) {
	u := f.users[authz.RoleManager]
	for _, path := range []string{
		"/t/" + f.other.Slug + "/customers",
		"/t/" + f.tn.Slug + "/customers/" + f.otherCus.ID.String(),
		"/t/" + f.tn.Slug + "/customers/" + f.otherCus.ID.String() + "/edit",
	} {
		resp := f.get(t, u, path)
		if resp.Status != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.Status)
		}
		if !strings.Contains(string(resp.Body), "<html") {
			t.Errorf("GET %s: not an HTML error page", path)
		}
	}
	resp := f.post(t, u, "/t/"+f.tn.Slug+"/customers/"+f.otherCus.ID.String()+"/notes", url.Values{"body": {"x"}})
	if resp.Status != http.StatusNotFound {
		t.Errorf("note on another tenant's customer = %d, want 404", resp.Status)
	}
}

// TestUIForms: creating a task, a note, a ticket and a contact, with
// inline messages in the user's language when a field is wrong.
func uiForms(t *testing.T, f *uiFixture) {
	sales := f.users[authz.RoleSales]
	setLocale(t, f.h, sales, "fa")
	base := "/t/" + f.tn.Slug + "/customers/" + f.high.ID.String()
	resp := f.post(t, sales, base+"/tasks", url.Values{"title": {""}, "due_at": {"۱۴۰۴/۱۳/۴۰"}})
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty task = %d, want 422", resp.Status)
	}
	body := string(resp.Body)
	for _, want := range []string{"الزامی است.", "تاریخ را وارد کنید"} {
		if !strings.Contains(body, want) {
			t.Errorf("task form errors lack %q", want)
		}
	}
	resp = f.post(t, sales, base+"/tasks", url.Values{"title": {"Call about renewal"}, "due_at": {"۱۴۰۴/۰۱/۱۵"}})
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("task = %d %s, want 303", resp.Status, resp.Body)
	}
	body = string(f.get(t, sales, base+"?tab=notes").Body)
	if !strings.Contains(body, "Call about renewal") || !strings.Contains(body, "۱۴۰۴/۰۱/۱۵") {
		t.Errorf("the new task with its Jalali due date is not listed")
	}
	if resp := f.post(t, sales, base+"/notes", url.Values{"kind": {"note"}, "body": {"یادداشت تازه"}}); resp.Status != http.StatusSeeOther {
		t.Errorf("note = %d %s", resp.Status, resp.Body)
	}
	if resp := f.post(t, sales, base+"/tickets", url.Values{"subject": {"x"}}); resp.Status != http.StatusForbidden {
		t.Errorf("sales opening a ticket = %d, want 403 (tickets: read only)", resp.Status)
	}
	support := f.users[authz.RoleSupport]
	if resp := f.post(t, support, base+"/tickets", url.Values{"subject": {"Printer broken"}, "priority": {"high"}}); resp.Status != http.StatusSeeOther {
		t.Errorf("support ticket = %d %s", resp.Status, resp.Body)
	}
	resp = f.post(t, sales, base+"/contacts", url.Values{"first_name": {"Sara"}, "email": {"not-an-email"}})
	if resp.Status != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), "نشانی ایمیل معتبر نیست.") {
		t.Errorf("bad contact = %d, want 422 with the Persian email message", resp.Status)
	}
	if resp := f.post(t, sales, base+"/contacts", url.Values{"first_name": {"Sara"}, "phone": {"۰۹۱۲ ۱۲۳ ۴۵۶۷"}}); resp.Status != http.StatusSeeOther {
		t.Errorf("contact = %d %s", resp.Status, resp.Body)
	}
}

// TestUICustomerForm: create with Persian digits, edit, and inline errors.
func uiCustomerForm(t *testing.T, f *uiFixture) {
	sales := f.users[authz.RoleSales]
	setLocale(t, f.h, sales, "en")
	path := "/t/" + f.tn.Slug + "/customers"
	resp := f.post(t, sales, path, url.Values{"name": {""}, "email": {"bad"}, "value_added_deals": {"x"}, "billing_country": {"Iran"}})
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad customer = %d", resp.Status)
	}
	body := string(resp.Body)
	for _, want := range []string{"Enter a whole number.", `id="err-value_added_deals"`} {
		if !strings.Contains(body, want) {
			t.Errorf("customer form lacks %q", want)
		}
	}
	resp = f.post(t, sales, path, url.Values{"name": {""}, "email": {"bad"}, "billing_country": {"Iran"}})
	body = string(resp.Body)
	for _, want := range []string{`id="err-name"`, `id="err-email"`, `id="err-billing_country"`, "Required."} {
		if !strings.Contains(body, want) {
			t.Errorf("customer form lacks %q", want)
		}
	}
	// A field the handler cannot parse (owner, deals) does not hide the
	// others' errors until the next submit: every error shows at once.
	resp = f.post(t, sales, path, url.Values{"name": {""}, "email": {"bad"}, "phone": {"abc"}, "status": {"bogus"},
		"value_added_deals": {"-۳"}, "owner_id": {"not-uuid"}})
	if resp.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad customer = %d", resp.Status)
	}
	body = string(resp.Body)
	for _, field := range []string{"name", "email", "phone", "status", "value_added_deals", "owner_id"} {
		if !strings.Contains(body, `id="err-`+field+`"`) {
			t.Errorf("customer form with six bad fields does not report %s at once", field)
		}
	}
	resp = f.post(t, sales, path, url.Values{"name": {"New Co"}, "status": {"active"}, "value_added_deals": {"۱۲"}})
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("create = %d %s", resp.Status, resp.Body)
	}
	loc := resp.Header.Get("Location")
	body = string(f.get(t, sales, loc).Body)
	if !strings.Contains(body, `id="value-added-deals">12<`) {
		t.Errorf("value-added deals typed as ۱۲ is not 12: %s", between(body, "value-added-deals", 40))
	}
}

// TestUIFlashShownOnce: the flash is deleted with the Path it was set
// with, so the browser drops it after one page instead of showing it on
// every page (and error) for its 60 seconds.
func uiFlashShownOnce(t *testing.T, f *uiFixture) {
	sales := f.users[authz.RoleSales]
	setLocale(t, f.h, sales, "en")
	base := "/t/" + f.tn.Slug + "/customers/" + f.high.ID.String()
	resp := f.post(t, sales, base+"/notes", url.Values{"kind": {"note"}, "body": {"flash check"}})
	if resp.Status != http.StatusSeeOther {
		t.Fatalf("note = %d %s", resp.Status, resp.Body)
	}
	var set *http.Cookie
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Name == "gomato_flash" {
			set = c
		}
	}
	if set == nil || set.Value == "" {
		t.Fatal("no flash cookie after a saved form")
	}
	resp = f.h.Do(t, webtest.Req{As: sales, Path: base, Header: map[string]string{"Cookie": "gomato_flash=" + set.Value}})
	if !strings.Contains(string(resp.Body), `role="status">Saved.</div>`) {
		t.Errorf("the flash is not shown on the next page")
	}
	var cleared *http.Cookie
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Name == "gomato_flash" {
			cleared = c
		}
	}
	switch {
	case cleared == nil:
		t.Fatal("the page that shows the flash does not clear it")
	case cleared.Value != "":
		t.Errorf("cleared flash has value %q", cleared.Value)
	case cleared.Path != set.Path:
		t.Errorf("flash set with Path=%q but cleared with Path=%q: the browser keeps it", set.Path, cleared.Path)
	case cleared.MaxAge >= 0 && !(cleared.Expires.Before(time.Now()) && !cleared.Expires.IsZero()):
		t.Errorf("cleared flash does not expire: %s", resp.Header.Values("Set-Cookie"))
	case cleared.HttpOnly != set.HttpOnly || cleared.SameSite != set.SameSite:
		t.Errorf("cleared flash's attributes differ from the set one: %s", resp.Header.Values("Set-Cookie"))
	}
}

// TestUILogin: the sign-in form needs its CSRF token, signs in, and shows
// the rate limit in the user's language.
func uiLogin(t *testing.T, f *uiFixture) {
	h := f.h
	u := h.UserWithPassword(t, "correct horse battery staple")
	app := h.Server.App()
	get := httptest.NewRequest("GET", "/login?lang=fa", nil)
	resp, err := app.Test(get, -1)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(page), `dir="rtl"`) {
		t.Errorf("login?lang=fa is not RTL")
	}
	var csrfCookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "gomato_login_csrf" {
			csrfCookie = c
		}
	}
	if csrfCookie == nil {
		t.Fatal("no login CSRF cookie")
	}
	post := func(form url.Values, withCookie bool) *http.Response {
		r := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Accept-Language", "fa")
		if withCookie {
			r.AddCookie(csrfCookie)
		}
		resp, err := app.Test(r, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	good := url.Values{"email": {u.Email}, "password": {"correct horse battery staple"}, "csrf_token": {csrfCookie.Value}}
	if r := post(good, false); r.StatusCode != http.StatusForbidden {
		t.Errorf("login without the CSRF cookie = %d, want 403", r.StatusCode)
	}
	r := post(good, true)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303", r.StatusCode)
	}
	signedIn := false
	for _, c := range r.Cookies() {
		if c.Name == "gomato_session" && c.Value != "" && c.HttpOnly {
			signedIn = true
		}
	}
	if !signedIn {
		t.Error("no HttpOnly session cookie after signing in")
	}
	bad := url.Values{"email": {u.Email}, "password": {"wrong"}, "csrf_token": {csrfCookie.Value}}
	var last *http.Response
	for i := 0; i < 30; i++ {
		last = post(bad, true)
		if last.StatusCode == http.StatusTooManyRequests {
			break
		}
		if last.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password = %d, want 401", last.StatusCode)
		}
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("30 wrong passwords never rate limited")
	}
	b, _ := io.ReadAll(last.Body)
	if !strings.Contains(string(b), "تلاش‌های ورود بیش از حد مجاز بود") || last.Header.Get("Retry-After") == "" {
		t.Errorf("rate-limited page lacks the Persian message or Retry-After")
	}
}

// TestUI runs the server-rendered UI's checks on one fixture (one test
// database), each as a subtest.
func TestUI(t *testing.T) {
	t.Parallel() // its own database; overlaps with the package's other tests
	f := newUIFixture(t)
	for _, sub := range []struct {
		name string
		fn   func(*testing.T, *uiFixture)
	}{
		{"PagesRenderForEveryRole", uiPagesRenderForEveryRole},
		{"NavigationFollowsRoles", uiNavigationFollowsRoles},
		{"Escaping", uiEscaping},
		{"SupportSeesHealthWithoutRisk", uiSupportSeesHealthWithoutRisk},
		{"PersianProfile", uiPersianProfile},
		{"CrossTenant", uiCrossTenant},
		{"Forms", uiForms},
		{"CustomerForm", uiCustomerForm},
		{"Login", uiLogin},
		{"FlashShownOnce", uiFlashShownOnce},
		{"ListFiltersAndExport", uiListFiltersAndExport},
		{"TenantSwitcher", uiTenantSwitcher},
		{"Dashboard", uiDashboardFigures},
		{"MyTasks", uiMyTasksFlow},
		{"Portfolio", uiPortfolioFlow},
		{"Settings", uiSettingsFlow},
		{"ForecastOverride", uiForecastOverride},
		{"Pagination", uiPagination},
		{"LanguageSwitch", uiLanguageSwitch},
		{"Toman", uiToman},
		{"LocaleLabels", uiLocaleLabels},
		{"OverdueForecast", uiOverdueForecast},
		{"OperatorHome", uiOperatorHome},
	} {
		t.Run(sub.name, func(t *testing.T) { sub.fn(t, f) })
	}
}

var rowRE = regexp.MustCompile(`<tr data-customer="([0-9a-f-]+)"`)

func listIDs(body string) map[string]bool {
	out := map[string]bool{}
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		out[m[1]] = true
	}
	return out
}

// uiListFiltersAndExport: filters from the URL select the right rows (the
// expected rows follow from how the fixture was built), the tabs count,
// and the export carries the view with formulas neutralised.
func uiListFiltersAndExport(t *testing.T, f *uiFixture) {
	u := f.users[authz.RoleManager]
	setLocale(t, f.h, u, "en")
	base := "/t/" + f.tn.Slug + "/customers"
	cases := []struct {
		query string
		want  []core.Customer
	}{
		{"?status=active&risk=high", []core.Customer{f.high}},
		{"?segment=at_risk", []core.Customer{f.high, f.script}},
		{"?vip=1", []core.Customer{f.high}},
		{"?status=inactive", []core.Customer{f.bidi}},
		{"?clv_min=1000000&clv_max=2000000", []core.Customer{f.high}}, // USD 1,250,000.00
		{"?clv_max=%DB%B5%DB%B0", []core.Customer{f.script}},          // ۵۰ = USD 50.00, the script's CLV
		{"?q=%D8%A2%D9%84%D9%81%D8%A7", []core.Customer{f.high}},      // آلفا
	}
	for _, c := range cases {
		body := string(f.get(t, u, base+c.query).Body)
		got := listIDs(body)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d rows, want %d", c.query, len(got), len(c.want))
		}
		for _, w := range c.want {
			if !got[w.ID.String()] {
				t.Errorf("%s: %s missing", c.query, w.Name)
			}
		}
	}
	body := string(f.get(t, u, base+"?risk=high").Body)
	for tab, n := range map[string]string{"": "1", "active": "1", "inactive": "0", "legacy": "0"} {
		if !strings.Contains(body, `data-count="`+tab+`">`+n+`<`) {
			t.Errorf("risk=high: tab %q does not count %s", tab, n)
		}
	}
	if resp := f.get(t, u, base+"?clv_min=abc"); resp.Status != 200 || !strings.Contains(string(resp.Body), `data-field="clv_min"`) {
		t.Errorf("a bad CLV bound is not reported on the field")
	}
	if resp := f.get(t, f.users[authz.RoleSupport], base+"?sort=-clv"); resp.Status != http.StatusForbidden {
		t.Errorf("support sorting by CLV = %d, want 403", resp.Status)
	}
	// Export of the current view.
	eq := "=HYPERLINK(\"http://x\")"
	if _, err := f.h.Store.CreateCustomer(tenanttest.Ctx(f.tn), core.CustomerInput{Name: eq, Phone: "+98 21 5555 1234", Status: "legacy"}); err != nil {
		t.Fatal(err)
	}
	resp := f.get(t, u, base+"/export.csv?status=legacy")
	if resp.Status != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export = %d %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	csvBody := string(resp.Body)
	if !strings.Contains(csvBody, `"'=HYPERLINK(""http://x"")"`) {
		t.Errorf("export does not neutralise the formula: %s", csvBody)
	}
	if !strings.Contains(csvBody, "+98 21 5555 1234") {
		t.Errorf("export mangles the phone number: %s", csvBody)
	}
	if strings.Contains(csvBody, "شرکت آلفا") {
		t.Errorf("export of the legacy tab contains an active customer")
	}
	xl := f.get(t, u, base+"/export.xlsx?status=legacy")
	if xl.Status != 200 || !strings.HasPrefix(string(xl.Body), "PK") {
		t.Errorf("xlsx export = %d, not a zip", xl.Status)
	}
}

// uiLocaleLabels: the model and its fit are labelled in the user's
// language with counts as integers; the export's RFM segments are in the
// language the list shows them in; examples in placeholders and messages
// follow the user's locale (Jalali only in Persian) and are current.
func uiLocaleLabels(t *testing.T, f *uiFixture) {
	manager := f.users[authz.RoleManager]
	model := `{"churn_model": "transaction", "customers": 4380, "buyers": 4338, "no_history": 42,
		"bg_nbd": {"a": 0.0044, "b": 6.82, "r": 0.82, "alpha": 10.07, "customers": 4338, "se": {"a": 0}},
		"gamma_gamma": {"p": 2.11, "q": 3.6, "gamma": 50444.4, "customers": 2779},
		"transaction_churn": {"train": 3407, "lapsed": 1490, "backtest_auc": 0.728},
		"contract_churn_skipped": "0 contracts"}`
	err := tenant.Tx(tenanttest.Ctx(f.tn), f.h.Env.DB, func(tx *sqlx.Tx) error {
		_, err := tx.Exec(`insert into scoring_runs (id, status, trigger, finished_at, customers_scored, model)
			values ($1, 'done', 'api', now(), 4338, $2)`, core.NewID(), model)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dash := "/t/" + f.tn.Slug + "/dashboard"
	for _, tc := range []struct {
		lang       string
		want       []string
		segment    string
		dateRE     *regexp.Regexp
		notInPlace []string
	}{
		{"en", []string{"Transaction models", "Customers with purchases</dt><dd>4,338<", "BG/NBD: r (purchase-rate shape)"}, "At risk",
			regexp.MustCompile(`20\d\d-\d\d-\d\d`), []string{"۱۴۰", "1403/", `placeholder="IR"`}},
		{"fa", []string{"مدل‌های تراکنشی", "مشتریان دارای خرید</dt><dd>۴٬۳۳۸<"}, "در خطر",
			regexp.MustCompile(`۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2}`), []string{"1403/", `placeholder="۱۴۰۳/۱۲/۳۰"`}},
	} {
		setLocale(t, f.h, manager, tc.lang)
		body := string(f.get(t, manager, dash).Body)
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s dashboard lacks %q: %s", tc.lang, w, between(body, `id="latest-run"`, 1500))
			}
		}
		for _, raw := range []string{"bg_nbd.a", "<code>", "4,338.0000", "churn_model"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s dashboard shows the raw %q", tc.lang, raw)
			}
		}
		csv := string(f.get(t, manager, "/t/"+f.tn.Slug+"/customers/export.csv?segment=at_risk").Body)
		if !strings.Contains(csv, ","+tc.segment+",") {
			t.Errorf("%s export's segment is not %q: %s", tc.lang, tc.segment, csv)
		}
		prof := "/t/" + f.tn.Slug + "/customers/" + f.high.ID.String()
		body = string(f.get(t, manager, prof+"?tab=notes").Body) + string(f.get(t, manager, "/t/"+f.tn.Slug+"/customers").Body)
		resp := f.post(t, manager, prof+"/tasks", url.Values{"title": {"x"}, "due_at": {"not a date"}})
		body += string(resp.Body)
		for _, bad := range tc.notInPlace {
			if strings.Contains(body, bad) {
				t.Errorf("%s pages show %q: %s", tc.lang, bad, between(body, bad, 100))
			}
		}
		hint := between(string(resp.Body), `id="task-due"`, 300)
		if !tc.dateRE.MatchString(hint) {
			t.Errorf("%s task date placeholder has no current date in the user's calendar: %s", tc.lang, hint)
		}
		year := strconv.Itoa(time.Now().Year())
		if tc.lang == "en" && !strings.Contains(string(resp.Body), "Enter a date, e.g. "+year+"-") {
			t.Errorf("en date message has no current ISO example: %s", between(string(resp.Body), "Enter a date", 60))
		}
	}
}

// uiOverdueForecast: a next purchase whose day has passed reads "overdue
// since …" in the list and the profile (Jalali in Persian), while the API
// keeps the plain date.
func uiOverdueForecast(t *testing.T, f *uiFixture) {
	ctx := tenanttest.Ctx(f.tn)
	manager := f.users[authz.RoleManager]
	past := time.Now().AddDate(0, 0, -20).UTC().Truncate(24 * time.Hour)
	future := time.Now().AddDate(0, 0, 20).UTC().Truncate(24 * time.Hour)
	mk := func(name string, at time.Time) core.Customer {
		cu, err := f.h.Store.CreateCustomer(ctx, core.CustomerInput{Name: name, OwnerID: &manager.ID})
		if err != nil {
			t.Fatal(err)
		}
		insertScore(t, f.h.Env.DB, f.tn, cu.ID, 0.5, "medium", 1000)
		if err := tenant.Tx(ctx, f.h.Env.DB, func(tx *sqlx.Tx) error {
			_, err := tx.Exec(`update customers set sales_forecast_at = $2 where id = $1`, cu.ID, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return cu
	}
	late, soon := mk("Late Buyer Co", past), mk("Soon Buyer Co", future)
	en := i18n.New(i18n.En, time.UTC, "USD")
	fa := i18n.New(i18n.Fa, time.UTC, "USD")
	if loc, err := time.LoadLocation(f.tn.TimeZone); err == nil {
		en.Loc, fa.Loc = loc, loc
	}
	setLocale(t, f.h, manager, "en")
	list := string(f.get(t, manager, "/t/"+f.tn.Slug+"/customers?q=Buyer").Body)
	row := func(body string, id uuid.UUID) string {
		r, _, _ := strings.Cut(between(body, `data-customer="`+id.String()+`"`, 4000), "</tr>")
		return r
	}
	if r := row(list, late.ID); !strings.Contains(r, "overdue since "+en.Date(past)) {
		t.Errorf("list row of an overdue forecast does not say overdue since %s: %s", en.Date(past), r)
	}
	if r := row(list, soon.ID); !strings.Contains(r, en.Date(future)) || strings.Contains(r, "overdue") {
		t.Errorf("list row of a future forecast is not its plain date %s: %s", en.Date(future), r)
	}
	prof := "/t/" + f.tn.Slug + "/customers/" + late.ID.String()
	if b := string(f.get(t, manager, prof).Body); !strings.Contains(between(b, `id="forecast-at"`, 300), "overdue since "+en.Date(past)) {
		t.Errorf("en profile: %s", between(b, `id="forecast-at"`, 300))
	}
	setLocale(t, f.h, manager, "fa")
	if b := string(f.get(t, manager, prof).Body); !strings.Contains(between(b, `id="forecast-at"`, 300), "عقب‌افتاده از "+fa.Date(past)) {
		t.Errorf("fa profile does not say overdue since %s: %s", fa.Date(past), between(b, `id="forecast-at"`, 300))
	}
	api := f.h.Do(t, webtest.Req{As: manager, Tenant: f.tn.Slug, Path: "/api/v1/customers/" + late.ID.String()})
	if api.Status != http.StatusOK || !strings.Contains(string(api.Body), past.Format("2006-01-02")) || strings.Contains(string(api.Body), "overdue since") {
		t.Errorf("API customer = %d, want the plain forecast date %s: %s", api.Status, past.Format("2006-01-02"), api.Body)
	}
}

// uiOperatorHome: the platform operator, a member of no company, gets a
// home page with what is theirs (the queue dashboard, installation health)
// instead of "not a member of any company".
func uiOperatorHome(t *testing.T, f *uiFixture) {
	op := f.h.Operator(t)
	setLocale(t, f.h, op, "en")
	resp := f.h.Do(t, webtest.Req{Path: "/", Header: map[string]string{"Cookie": web.SessionCookie + "=" + op.Token}})
	body := string(resp.Body)
	if resp.Status != http.StatusOK || !strings.Contains(body, `id="operator-links"`) || !strings.Contains(body, `href="/admin/queues"`) || !strings.Contains(body, `href="/readyz"`) {
		t.Errorf("operator's home = %d without the queue and health links: %.600s", resp.Status, body)
	}
	if strings.Contains(body, "not a member of any company") {
		t.Error("operator's home says they are not a member of any company")
	}
	if st := f.h.Do(t, webtest.Req{As: op, Path: web.QueueDashboardPath}).Status; st == http.StatusForbidden || st == http.StatusNotFound {
		t.Errorf("the operator's link to the queue dashboard = %d", st)
	}
	admin := f.users[authz.RoleTenantAdmin]
	resp = f.h.Do(t, webtest.Req{Path: "/", Header: map[string]string{"Cookie": web.SessionCookie + "=" + admin.Token}})
	if strings.Contains(string(resp.Body), `id="operator-links"`) {
		t.Error("a tenant admin's home links to the operator's pages")
	}
}

// uiTenantSwitcher: a user of two tenants can switch between them.
func uiTenantSwitcher(t *testing.T, f *uiFixture) {
	u := f.users[authz.RoleSales]
	if err := f.h.Authz.AddMember(context.Background(), f.other.ID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.h.Authz.Grant(context.Background(), f.other.ID, u.ID, authz.RoleSupport); err != nil {
		t.Fatal(err)
	}
	body := string(f.get(t, u, "/t/"+f.tn.Slug+"/customers").Body)
	if !strings.Contains(body, `id="tenant-switcher"`) || !strings.Contains(body, `href="/t/`+f.other.Slug+`/"`) {
		t.Errorf("no switcher to the second tenant")
	}
	resp := f.get(t, u, "/t/"+f.other.Slug+"/")
	if resp.Status != http.StatusSeeOther || resp.Header.Get("Location") != "/t/"+f.other.Slug+"/customers" {
		t.Errorf("switching = %d → %s", resp.Status, resp.Header.Get("Location"))
	}
	// In the second tenant the same user is support: no score filters.
	body = string(f.get(t, u, "/t/"+f.other.Slug+"/customers").Body)
	if strings.Contains(body, `id="f-risk"`) {
		t.Errorf("support role in the second tenant still sees the risk filter")
	}
}

// dashFigure reads a level card's figure from the dashboard.
var levelRE = regexp.MustCompile(`data-level="(\w+)" data-customers="(\d+)" data-clv="(-?\d+)" data-at-risk="(-?\d+)"`)

type levelFig struct{ customers, clv, atRisk int64 }

func dashLevels(t *testing.T, body string) map[string]levelFig {
	t.Helper()
	out := map[string]levelFig{}
	for _, m := range levelRE.FindAllStringSubmatch(body, -1) {
		var f levelFig
		fmt.Sscan(m[2], &f.customers)
		fmt.Sscan(m[3], &f.clv)
		fmt.Sscan(m[4], &f.atRisk)
		out[m[1]] = f
	}
	if len(out) != 3 {
		t.Fatalf("dashboard shows %d risk levels, want 3", len(out))
	}
	return out
}

// sqlLevels computes the dashboard's level figures directly in SQL,
// optionally for one owner's customers.
func sqlLevels(t *testing.T, f *uiFixture, owner *uuid.UUID) map[string]levelFig {
	t.Helper()
	out := map[string]levelFig{"low": {}, "medium": {}, "high": {}}
	err := tenant.ReadTx(tenanttest.Ctx(f.tn), f.h.Env.DB, func(tx *sqlx.Tx) error {
		rows, err := tx.Query(`select s.risk_level, count(*), sum(s.clv), sum(round((s.risk * s.clv)::numeric))
			from scores s join customers c on c.id = s.customer_id
			where $1::uuid is null or c.owner_id = $1 group by 1`, owner)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l string
			var fig levelFig
			if err := rows.Scan(&l, &fig.customers, &fig.clv, &fig.atRisk); err != nil {
				return err
			}
			out[l] = fig
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// uiDashboardFigures: the dashboard's figures equal the same aggregates
// computed by SQL here; an own-records user's dashboard counts only their
// customers; support may not open it.
func uiDashboardFigures(t *testing.T, f *uiFixture) {
	ctx := tenanttest.Ctx(f.tn)
	manager := f.users[authz.RoleManager]
	// A second owner's customers, so that scope makes a difference.
	for i, risk := range []float64{0.9, 0.35} {
		level := map[bool]string{true: "high", false: "medium"}[risk >= 0.6]
		cu, err := f.h.Store.CreateCustomer(ctx, core.CustomerInput{Name: fmt.Sprintf("Manager's %d", i), OwnerID: &manager.ID})
		if err != nil {
			t.Fatal(err)
		}
		insertScore(t, f.h.Env.DB, f.tn, cu.ID, risk, level, 333333)
	}
	setLocale(t, f.h, manager, "en")
	path := "/t/" + f.tn.Slug + "/dashboard"
	resp := f.get(t, manager, path)
	if resp.Status != 200 {
		t.Fatalf("dashboard = %d", resp.Status)
	}
	got, want := dashLevels(t, string(resp.Body)), sqlLevels(t, f, nil)
	for l, w := range want {
		if got[l] != w {
			t.Errorf("manager's %s level = %+v, want %+v (SQL)", l, got[l], w)
		}
	}
	if want["high"].customers < 2 {
		t.Fatalf("fixture has %d high-risk customers, want several", want["high"].customers)
	}
	// The high-risk card links to the list with the same count.
	list := string(f.get(t, manager, "/t/"+f.tn.Slug+"/customers?risk=high").Body)
	if !strings.Contains(list, fmt.Sprintf(`data-count="">%d<`, want["high"].customers)) {
		t.Errorf("the high-risk list does not count %d", want["high"].customers)
	}
	// Own-records scope.
	scoped := f.h.UserWithScope(t, f.tn, authz.RoleSales)
	setLocale(t, f.h, scoped, "en")
	ownCu, err := f.h.Store.CreateCustomer(ctx, core.CustomerInput{Name: "Scoped's own", OwnerID: &scoped.ID})
	if err != nil {
		t.Fatal(err)
	}
	insertScore(t, f.h.Env.DB, f.tn, ownCu.ID, 0.75, "high", 777)
	got, want = dashLevels(t, string(f.get(t, scoped, path).Body)), sqlLevels(t, f, &scoped.ID)
	for l, w := range want {
		if got[l] != w {
			t.Errorf("scoped sales' %s level = %+v, want %+v (SQL, own customers)", l, got[l], w)
		}
	}
	if got["high"].customers != 1 {
		t.Errorf("scoped sales sees %d high-risk customers, want 1 (their own)", got["high"].customers)
	}
	ids := listIDs(string(f.get(t, scoped, "/t/"+f.tn.Slug+"/customers").Body))
	if len(ids) != 1 || !ids[ownCu.ID.String()] {
		t.Errorf("scoped sales' list = %v, want only their customer", ids)
	}
	if resp := f.get(t, f.users[authz.RoleSupport], path); resp.Status != http.StatusForbidden {
		t.Errorf("support's dashboard = %d, want 403", resp.Status)
	}
}

// uiMyTasksFlow: "My tasks" lists the actor's tasks overdue first, with a
// rescue alert's reasons and offer; complete, snooze and reassign work.
func uiMyTasksFlow(t *testing.T, f *uiFixture) {
	ctx := tenanttest.Ctx(f.tn)
	sales, manager := f.users[authz.RoleSales], f.users[authz.RoleManager]
	setLocale(t, f.h, sales, "en")
	acc := store.TaskAccess{All: true}
	mk := func(title string, due time.Time) core.Task {
		tk, err := f.h.Store.CreateTask(ctx, acc, core.TaskUpdate{CustomerID: &f.high.ID, Title: &title, DueAt: &due, AssigneeID: &sales.ID})
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	later := mk("Later task", time.Now().Add(72*time.Hour))
	overdue := mk("Overdue task", time.Now().Add(-48*time.Hour))
	// A rescue alert for the overdue task, as scoring writes one.
	err := tenant.Tx(ctx, f.h.Env.DB, func(tx *sqlx.Tx) error {
		run := core.NewID()
		if _, err := tx.Exec(`insert into scoring_runs (id, status, trigger) values ($1, 'done', 'api')`, run); err != nil {
			return err
		}
		_, err := tx.Exec(`insert into alerts (id, customer_id, run_id, kind, risk, risk_level, reasons, offer, task_id, assignee_id)
			values ($1, $2, $3, 'risk_high', 0.82, 'high', '[{"code":"recency","text_en":"no purchase for 140 days","text_fa":"۱۴۰ روز بدون خرید"}]',
			'{"category":"Support plan"}', $4, $5)`, core.NewID(), f.high.ID, run, overdue.ID, sales.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	path := "/t/" + f.tn.Slug + "/tasks"
	body := string(f.get(t, sales, path).Body)
	io, il := strings.Index(body, "Overdue task"), strings.Index(body, "Later task")
	if io < 0 || il < 0 || io > il {
		t.Fatalf("overdue task is not listed before the later one (%d, %d)", io, il)
	}
	for _, want := range []string{"no purchase for 140 days", "Support plan", `data-overdue="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("My tasks lacks %q", want)
		}
	}
	post := func(u webtest.User, id uuid.UUID, action string, form url.Values) int {
		return f.post(t, u, path+"/"+id.String()+"/"+action, form).Status
	}
	if st := post(sales, overdue.ID, "complete", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("complete = %d", st)
	}
	if st := post(sales, later.ID, "snooze", url.Values{"days": {"۳"}}); st != http.StatusSeeOther {
		t.Fatalf("snooze = %d", st)
	}
	body = string(f.get(t, sales, path).Body)
	if strings.Contains(body, "Overdue task") {
		t.Error("the completed task is still listed")
	}
	if !strings.Contains(body, "snoozed until") {
		t.Error("the snoozed task does not say so")
	}
	if st := post(sales, later.ID, "reassign", url.Values{"assignee_id": {manager.ID.String()}}); st != http.StatusSeeOther {
		t.Fatalf("reassign = %d", st)
	}
	if strings.Contains(string(f.get(t, sales, path).Body), "Later task") {
		t.Error("the reassigned task is still on sales' list")
	}
	setLocale(t, f.h, manager, "en")
	if !strings.Contains(string(f.get(t, manager, path).Body), "Later task") {
		t.Error("the reassigned task is not on the manager's list")
	}
	if st := post(sales, later.ID, "reassign", url.Values{"assignee_id": {f.otherCus.ID.String()}}); st != http.StatusUnprocessableEntity && st != http.StatusNotFound {
		t.Errorf("reassigning to a non-member = %d, want 422 (or 404 once the task is no longer sales')", st)
	}
}

// uiPortfolio: an agency admin sees each tenant of their agency with its
// aggregates (equal to SQL over the tenant), links only into tenants they
// are a member of, and nothing of another agency.
func uiPortfolioFlow(t *testing.T, f *uiFixture) {
	h := f.h
	ctx := context.Background()
	a, b := h.Agency(t, "port-a"), h.Agency(t, "port-b")
	t1, err := h.Env.Registry.CreateTenant(ctx, tenantFor("port-one", a.Slug))
	if err != nil {
		t.Fatal(err)
	}
	t2, err := h.Env.Registry.CreateTenant(ctx, tenantFor("port-two", a.Slug))
	if err != nil {
		t.Fatal(err)
	}
	t3, err := h.Env.Registry.CreateTenant(ctx, tenantFor("port-three", b.Slug))
	if err != nil {
		t.Fatal(err)
	}
	for i, risk := range []float64{0.9, 0.7, 0.2} {
		cu, err := h.Store.CreateCustomer(tenanttest.Ctx(t1), core.CustomerInput{Name: fmt.Sprintf("P%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		insertScore(t, h.Env.DB, t1, cu.ID, risk, map[bool]string{true: "high", false: "low"}[risk >= 0.6], int64(1000*(i+1)))
	}
	// Two runs each: t1's CLV grew, t2's stayed the same (no arrow for a
	// change of zero).
	for tn, clvs := range map[core.Tenant][2]int64{t1: {1000, 6000}, t2: {5000, 5000}} {
		err := tenant.Tx(tenanttest.Ctx(tn), h.Env.DB, func(tx *sqlx.Tx) error {
			for i, clv := range clvs {
				if _, err := tx.Exec(`insert into scoring_runs (id, status, trigger, finished_at, clv_total) values ($1, 'done', 'api', $2, $3)`,
					core.NewID(), time.Now().Add(time.Duration(i-2)*time.Hour), clv); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	admin := h.AgencyAdmin(t, a.Slug)
	if err := h.Authz.AddMember(ctx, t1.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.Authz.Grant(ctx, t1.ID, admin.ID, authz.RoleTenantAdmin); err != nil {
		t.Fatal(err)
	}
	setLocale(t, h, admin, "en")
	resp := f.get(t, admin, "/agency/"+a.Slug)
	if resp.Status != 200 {
		t.Fatalf("portfolio = %d %.300s", resp.Status, resp.Body)
	}
	body := string(resp.Body)
	for _, tn := range []core.Tenant{t1, t2} {
		if !strings.Contains(body, `data-tenant="`+tn.Slug+`"`) {
			t.Errorf("portfolio lacks %s", tn.Slug)
		}
	}
	if strings.Contains(body, t3.Slug) || strings.Contains(body, f.tn.Slug+`"`) {
		t.Error("portfolio shows a tenant of another agency (or of none)")
	}
	// The sum of round(risk × CLV): 0.9·1000 + 0.7·2000 + 0.2·3000.
	if !strings.Contains(body, `data-tenant="`+t1.Slug+`" data-customers="3" data-high="2" data-at-risk="2900" data-clv="6000"`) {
		t.Errorf("portfolio figures of %s are not 3 customers, 2 high, 2900 at risk, 6000 CLV: %s", t1.Slug, between(body, `data-tenant="`+t1.Slug, 140))
	}
	row := func(slug string) string {
		r, _, _ := strings.Cut(between(body, `data-tenant="`+slug+`"`, 2000), "</tr>")
		return r
	}
	if row := row(t1.Slug); !strings.Contains(row, `data-trend="up">▲`) {
		t.Errorf("a CLV that grew has no ▲: %s", row)
	}
	if row := row(t2.Slug); !strings.Contains(row, `data-trend="flat"`) || strings.Contains(row, "▲") || strings.Contains(row, "▼") {
		t.Errorf("a CLV change of zero shows an arrow: %s", row)
	}
	if !strings.Contains(body, `href="/t/`+t1.Slug+`/"`) || strings.Contains(body, `href="/t/`+t2.Slug+`/"`) {
		t.Error("links into tenants: want one into the tenant the admin is a member of, none into the other")
	}
	if resp := f.get(t, admin, "/agency/"+b.Slug); resp.Status != http.StatusForbidden {
		t.Errorf("another agency's portfolio = %d, want 403", resp.Status)
	}
	if resp := f.get(t, h.Operator(t), "/agency/"+a.Slug); resp.Status != http.StatusForbidden {
		t.Errorf("operator's view of the portfolio = %d, want 403 (business data)", resp.Status)
	}
	if resp := f.get(t, f.users[authz.RoleTenantAdmin], "/agency/"+a.Slug); resp.Status != http.StatusForbidden {
		t.Errorf("a tenant admin's view of the portfolio = %d, want 403", resp.Status)
	}
	if resp := f.get(t, webtest.User{}, "/agency/"+a.Slug); resp.Status != http.StatusSeeOther {
		t.Errorf("no session = %d, want a redirect to sign in", resp.Status)
	}
}

// uiSettingsFlow: a tenant admin grants and revokes roles, scopes a role,
// invites someone and changes thresholds typed with Persian digits.
func uiSettingsFlow(t *testing.T, f *uiFixture) {
	admin, sales := f.users[authz.RoleTenantAdmin], f.users[authz.RoleSales]
	setLocale(t, f.h, admin, "fa")
	base := "/t/" + f.tn.Slug + "/settings"
	ctx := context.Background()
	rolesOf := func(u webtest.User) []string {
		rs, _, err := f.h.Authz.RolesOf(ctx, f.tn.ID, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	has := func(rs []string, r string) bool {
		for _, x := range rs {
			if x == r {
				return true
			}
		}
		return false
	}
	if st := f.post(t, admin, base+"/members/"+sales.ID.String()+"/grant", url.Values{"role": {"support"}}).Status; st != http.StatusSeeOther {
		t.Fatalf("grant = %d", st)
	}
	if !has(rolesOf(sales), "support") {
		t.Error("grant did not give the role")
	}
	if st := f.post(t, admin, base+"/members/"+sales.ID.String()+"/revoke", url.Values{"role": {"support"}}).Status; st != http.StatusSeeOther {
		t.Fatalf("revoke = %d", st)
	}
	if has(rolesOf(sales), "support") {
		t.Error("revoke left the role")
	}
	resp := f.post(t, admin, base+"/invites", url.Values{"email": {"invitee@example.test"}, "name": {"مهمان"}, "role": {"sales"}})
	if resp.Status != 200 || !strings.Contains(string(resp.Body), "/accept-invite?token=") {
		t.Errorf("invite = %d without a link", resp.Status)
	}
	resp = f.post(t, admin, base, url.Values{"locale": {"fa"}, "time_zone": {"Asia/Tehran"}, "risk_medium": {"۰٫۷"}, "risk_high": {"۰٫۴"}})
	if resp.Status != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), "بیشینه نباید از کمینه کمتر باشد") {
		t.Errorf("medium above high = %d, want 422 with the Persian message", resp.Status)
	}
	if st := f.post(t, admin, base, url.Values{"locale": {"fa"}, "time_zone": {"Asia/Tehran"}, "risk_medium": {"۰٫۴"}, "risk_high": {"٠٫٧٥"}, "default_assignee": {sales.ID.String()}}).Status; st != http.StatusSeeOther {
		t.Fatalf("save settings = %d", st)
	}
	st, err := tenant.LoadSettings(tenanttest.Ctx(f.tn), f.h.Env.DB)
	if err != nil {
		t.Fatal(err)
	}
	if st.RiskMedium != 0.4 || st.RiskHigh != 0.75 || st.DefaultAssignee == nil || *st.DefaultAssignee != sales.ID || st.TimeZone != "Asia/Tehran" {
		t.Errorf("settings = %+v, want 0.4, 0.75, sales, Asia/Tehran", st)
	}
	// The tenant's time zone now dates pages; put it back for the others.
	if st := f.post(t, admin, base, url.Values{"locale": {"en"}, "time_zone": {"UTC"}, "risk_medium": {"0.3"}, "risk_high": {"0.6"}}).Status; st != http.StatusSeeOther {
		t.Fatalf("restore settings = %d", st)
	}
	if st := f.post(t, admin, base+"/roles/support/scope", url.Values{"own_records_only": {"1"}}).Status; st != http.StatusSeeOther {
		t.Fatalf("scope = %d", st)
	}
	_, scoped, err := f.h.Authz.RolesOf(ctx, f.tn.ID, f.users[authz.RoleSupport].ID)
	if err != nil || !scoped {
		t.Errorf("support is not own-records scoped after the change (%v)", err)
	}
	if st := f.post(t, admin, base+"/roles/support/scope", url.Values{}).Status; st != http.StatusSeeOther {
		t.Fatalf("unscope = %d", st)
	}
	body := string(f.get(t, admin, base).Body)
	if m := missingRE.FindString(body); m != "" {
		t.Errorf("settings page shows missing translation %s", m)
	}
}

// uiForecastOverride: a Jalali date typed in Persian digits overrides the
// forecast, the profile says so, the override is audited, and a past date
// is refused with a message in the user's language.
func uiForecastOverride(t *testing.T, f *uiFixture) {
	sales := f.users[authz.RoleSales]
	setLocale(t, f.h, sales, "fa")
	path := "/t/" + f.tn.Slug + "/customers/" + f.high.ID.String()
	resp := f.post(t, sales, path+"/forecast", url.Values{"at": {"۱۴۰۰/۰۱/۰۱"}})
	if resp.Status != http.StatusUnprocessableEntity || !strings.Contains(string(resp.Body), "تاریخی در آینده انتخاب کنید") {
		t.Errorf("a past date = %d, want 422 with the Persian message", resp.Status)
	}
	if st := f.post(t, sales, path+"/forecast", url.Values{"at": {"۱۴۲۰/۰۱/۰۱"}}).Status; st != http.StatusSeeOther {
		t.Fatalf("override = %d", st)
	}
	body := string(f.get(t, sales, path).Body)
	if !strings.Contains(body, "۱۴۲۰/۰۱/۰۱") || !strings.Contains(body, "دستی") {
		t.Errorf("the profile does not show the override 1420/01/01 set by hand: %s", between(body, `id="forecast-at"`, 200))
	}
	var n int
	if err := f.h.Env.DB.Get(&n, `select count(*) from control.audit_log where tenant_id = $1 and actor_id = $2 and action = 'customer.forecast_override'`, f.tn.ID, sales.ID); err != nil || n != 1 {
		t.Errorf("audit rows for the override = %d (%v), want 1", n, err)
	}
	if st := f.post(t, sales, path+"/forecast", url.Values{"clear": {"1"}}).Status; st != http.StatusSeeOther {
		t.Fatalf("clear = %d", st)
	}
	if strings.Contains(string(f.get(t, sales, path).Body), "۱۴۲۰/۰۱/۰۱") {
		t.Error("the cleared override still shows")
	}
	if st := f.post(t, f.users[authz.RoleSupport], path+"/forecast", url.Values{"at": {"2040-01-01"}}).Status; st != http.StatusForbidden {
		t.Errorf("support overriding = %d, want 403", st)
	}
}

var nextRE = regexp.MustCompile(`id="next-page" href="([^"]+)"`)

// uiPagination: 50 rows a page, a next-page link that keeps the filters,
// and every customer exactly once across the pages.
func uiPagination(t *testing.T, f *uiFixture) {
	ctx := tenanttest.Ctx(f.tn)
	want := map[string]bool{}
	for i := 0; i < 53; i++ {
		cu, err := f.h.Store.CreateCustomer(ctx, core.CustomerInput{Name: fmt.Sprintf("Paged %02d", i), Status: "legacy", Source: "paging"})
		if err != nil {
			t.Fatal(err)
		}
		want[cu.ID.String()] = true
	}
	u := f.users[authz.RoleManager]
	body := string(f.get(t, u, "/t/"+f.tn.Slug+"/customers?status=legacy&q=paged").Body)
	first := listIDs(body)
	if len(first) != 50 {
		t.Fatalf("first page has %d rows, want 50", len(first))
	}
	m := nextRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no next-page link")
	}
	next := strings.ReplaceAll(m[1], "&amp;", "&")
	if !strings.Contains(next, "status=legacy") || !strings.Contains(next, "q=paged") {
		t.Errorf("next-page link %s drops the filters", next)
	}
	second := listIDs(string(f.get(t, u, "/t/"+f.tn.Slug+"/customers"+next).Body))
	if len(second) != 3 {
		t.Errorf("second page has %d rows, want 3", len(second))
	}
	for id := range second {
		if first[id] {
			t.Errorf("%s on both pages", id)
		}
		first[id] = true
	}
	for id := range want {
		if !first[id] {
			t.Errorf("%s on no page", id)
		}
	}
}
