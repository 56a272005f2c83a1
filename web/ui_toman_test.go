package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web/webtest"
)

// uiToman: an IRR tenant's admin may show amounts in toman (rials ÷ 10).
// The pages then show toman — the one decimal a rial amount not divisible
// by ten needs included — and the CLV filter reads toman; the API and the
// database keep rials; another IRR tenant, and a non-IRR tenant (which
// cannot choose toman), are untouched.
func uiToman(t *testing.T, f *uiFixture) {
	h := f.h
	ctx := context.Background()
	mk := func(slug string) (core.Tenant, webtest.User, webtest.User, core.Customer) {
		tn, err := h.Env.Registry.CreateTenant(ctx, tenant.NewTenant{Slug: slug + "-" + core.NewID().String()[:6], Name: "Toman " + slug,
			Locale: "fa", Currency: "IRR", TimeZone: "Asia/Tehran"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = h.Env.Registry.DropTenant(context.Background(), tn.Slug) })
		admin, manager := h.User(t, tn, authz.RoleTenantAdmin), h.User(t, tn, authz.RoleManager)
		cu, err := h.Store.CreateCustomer(tenanttest.Ctx(tn), core.CustomerInput{Name: "Toman Co"})
		if err != nil {
			t.Fatal(err)
		}
		insertScore(t, h.Env.DB, tn, cu.ID, 0.7, "high", 1234565) // 123,456.5 toman
		return tn, admin, manager, cu
	}
	tn, admin, manager, cu := mk("toman")
	other, _, otherManager, otherCu := mk("rial")
	profile := func(tn core.Tenant, u webtest.User, id core.Customer, lang string) string {
		t.Helper()
		setLocale(t, h, u, lang)
		resp := f.get(t, u, "/t/"+tn.Slug+"/customers/"+id.ID.String())
		if resp.Status != 200 {
			t.Fatalf("profile = %d", resp.Status)
		}
		return between(string(resp.Body), `id="clv"`, 120)
	}
	if got := profile(tn, manager, cu, "en"); !strings.Contains(got, "IRR 1,234,565<") {
		t.Errorf("CLV before the switch: %q, want IRR 1,234,565", got)
	}
	settings := "/t/" + tn.Slug + "/settings"
	if body := string(f.get(t, admin, settings).Body); !strings.Contains(body, `name="money_display"`) {
		t.Error("an IRR tenant's settings offer no toman display")
	}
	// A non-IRR tenant neither offers nor accepts it.
	usd := "/t/" + f.tn.Slug + "/settings"
	if body := string(f.get(t, f.users[authz.RoleTenantAdmin], usd).Body); strings.Contains(body, `name="money_display"`) {
		t.Errorf("the %s tenant's settings offer toman", f.tn.Currency)
	}
	if resp := f.post(t, f.users[authz.RoleTenantAdmin], usd, url.Values{"money_display": {"toman"}}); resp.Status != 422 {
		t.Errorf("toman for a %s tenant = %d, want 422", f.tn.Currency, resp.Status)
	}
	// Managers read settings but may not change them.
	if resp := f.post(t, manager, settings, url.Values{"money_display": {"toman"}}); resp.Status != 403 {
		t.Errorf("toman by a manager = %d, want 403", resp.Status)
	}
	if resp := f.post(t, admin, settings, url.Values{"money_display": {"toman"}}); resp.Status != 303 {
		t.Fatalf("toman by the tenant admin = %d, want 303\n%.300s", resp.Status, resp.Body)
	}
	if got := profile(tn, manager, cu, "en"); !strings.Contains(got, "Toman 123,456.5<") {
		t.Errorf("en CLV in toman: %q, want Toman 123,456.5", got)
	}
	if got := profile(tn, manager, cu, "fa"); !strings.Contains(got, "۱۲۳٬۴۵۶٫۵ تومان") {
		t.Errorf("fa CLV in toman: %q, want ۱۲۳٬۴۵۶٫۵ تومان", got)
	}
	if body := string(f.get(t, admin, settings).Body); !strings.Contains(body, `<option value="toman" selected>`) {
		t.Error("the settings form does not show toman as chosen")
	}
	// The CLV filter reads what the page shows: toman.
	list := "/t/" + tn.Slug + "/customers?clv_min="
	for _, c := range []struct {
		min  string
		want bool
	}{{"123456", true}, {"۱۲۳۴۵۶٫۵", true}, {"123457", false}} {
		got := listIDs(string(f.get(t, manager, list+url.QueryEscape(c.min)).Body))[cu.ID.String()]
		if got != c.want {
			t.Errorf("clv_min=%s (toman) lists the 1,234,565-rial customer: %v, want %v", c.min, got, c.want)
		}
	}
	// Money stays rials: the API and the other IRR tenant.
	resp := h.Do(t, webtest.Req{As: manager, Tenant: tn.Slug, Path: "/api/v1/customers/" + cu.ID.String()})
	var api struct {
		Score struct {
			CLV int64 `json:"clv"`
		} `json:"score"`
	}
	if resp.Status != 200 || json.Unmarshal(resp.Body, &api) != nil || api.Score.CLV != 1234565 {
		t.Errorf("API CLV = %d (%d), want 1234565 rials", api.Score.CLV, resp.Status)
	}
	if got := profile(other, otherManager, otherCu, "en"); !strings.Contains(got, "IRR 1,234,565<") {
		t.Errorf("another IRR tenant's CLV: %q, want IRR 1,234,565", got)
	}
	// And back.
	if resp := f.post(t, admin, settings, url.Values{"money_display": {"rial"}}); resp.Status != 303 {
		t.Fatalf("rial = %d, want 303", resp.Status)
	}
	if got := profile(tn, manager, cu, "en"); !strings.Contains(got, "IRR 1,234,565<") {
		t.Errorf("CLV after switching back: %q, want IRR 1,234,565", got)
	}
}
