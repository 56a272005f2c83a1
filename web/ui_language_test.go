package web_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/web"
	"github.com/gomato/gomato/web/webtest"
)

var csrfFieldRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// cookieReq sends a request as a browser does: the session in its cookie,
// so that a POST needs the CSRF token.
func cookieReq(t *testing.T, h *webtest.Harness, u webtest.User, method, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	r.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: u.Token})
	resp, err := h.Server.App().Test(r, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func userLocale(t *testing.T, h *webtest.Harness, u webtest.User) string {
	t.Helper()
	got, err := h.Users.ByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got.Locale
}

// uiLanguageSwitch: the header's language switch is a CSRF-protected POST
// that changes the language of the user who sends it — lang and dir of
// every page they open, in any tenant — and of nobody else, and comes
// back to the page it was sent from (never to another site).
func uiLanguageSwitch(t *testing.T, f *uiFixture) {
	h := f.h
	sales, support := f.users[authz.RoleSales], f.users[authz.RoleSupport]
	outsider := h.User(t, f.other, authz.RoleSales)
	for _, u := range []webtest.User{sales, support, outsider} {
		setLocale(t, h, u, "en")
	}
	list := "/t/" + f.tn.Slug + "/customers?status=active&risk=high"
	resp, body := cookieReq(t, h, sales, "GET", list, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `<html lang="en" dir="ltr">`) {
		t.Fatalf("list as sales = %d, want 200 in English", resp.StatusCode)
	}
	if !strings.Contains(body, `id="language-switch"`) || !strings.Contains(body, `name="locale" value="fa"`) ||
		!strings.Contains(body, `name="next" value="`+html.EscapeString(list)+`"`) {
		t.Errorf("the header has no switch to Persian that comes back to %s", list)
	}
	m := csrfFieldRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSRF token on the page")
	}
	csrf := m[1]

	// Without the CSRF token: refused, nothing changes.
	if r, _ := cookieReq(t, h, sales, "POST", "/language", url.Values{"locale": {"fa"}, "next": {list}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("switch without the CSRF token = %d, want 403", r.StatusCode)
	}
	if got := userLocale(t, h, sales); got != "en" {
		t.Fatalf("a refused switch changed the locale to %q", got)
	}
	// An unknown language: 422, nothing changes.
	if r, _ := cookieReq(t, h, sales, "POST", "/language", url.Values{"locale": {"de"}, "csrf_token": {csrf}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("switch to de = %d, want 422", r.StatusCode)
	}
	r, _ := cookieReq(t, h, sales, "POST", "/language", url.Values{"locale": {"fa"}, "next": {list}, "csrf_token": {csrf}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != list {
		t.Fatalf("switch = %d → %q, want 303 back to %s", r.StatusCode, r.Header.Get("Location"), list)
	}
	if got := userLocale(t, h, sales); got != "fa" {
		t.Errorf("sales' locale after the switch = %q, want fa", got)
	}
	for _, c := range []struct {
		who  string
		u    webtest.User
		path string
		want string
	}{
		{"sales", sales, list, `<html lang="fa" dir="rtl">`},
		{"sales on the tasks page", sales, "/t/" + f.tn.Slug + "/tasks", `<html lang="fa" dir="rtl">`},
		// (support may not filter on risk: the list without it)
		{"support of the same tenant", support, "/t/" + f.tn.Slug + "/customers?status=active", `<html lang="en" dir="ltr">`},
		{"a user of another tenant", outsider, "/t/" + f.other.Slug + "/customers", `<html lang="en" dir="ltr">`},
	} {
		resp, body := cookieReq(t, h, c.u, "GET", c.path, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %s = %d, want %s", c.who, c.path, resp.StatusCode, c.want)
		}
	}
	if _, body := cookieReq(t, h, sales, "GET", list, nil); !strings.Contains(body, `name="locale" value="en"`) {
		t.Error("in Persian the switch does not offer English")
	}
	// Another site, or no page at all, goes home.
	for _, next := range []string{"//evil.example/x", "https://evil.example/", ""} {
		r, _ := cookieReq(t, h, sales, "POST", "/language", url.Values{"locale": {"en"}, "next": {next}, "csrf_token": {csrf}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
			t.Errorf("switch with next %q = %d → %q, want 303 to /", next, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if got := userLocale(t, h, sales); got != "en" {
		t.Errorf("sales' locale after switching back = %q, want en", got)
	}
	if got := userLocale(t, h, outsider); got != "en" {
		t.Errorf("another tenant's user's locale = %q, want en (untouched)", got)
	}
}
