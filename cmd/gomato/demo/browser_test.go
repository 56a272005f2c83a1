package demo

// Browser tests of the web UI on a tenant built by the demo loader: slices
// of the real datasets loaded through Run (the path `gomato demo` takes),
// scored by the real worker through the queue, then driven in Debian's
// headless Chromium over the DevTools protocol. They live here, not in
// web, because web may not import cmd/… (DESIGN §2); every expected
// figure comes from the database the demo and the worker wrote, never
// from the UI code under test.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/jalali"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web/webtest"
)

// chromiumPath is Debian's Chromium, installed by
// `deploy/local/services.sh --chromium`.
const chromiumPath = "/usr/bin/chromium"

// screenDir is where browser tests put their screenshots: $GOMATO_TEST_OUT
// or a folder in the system's temporary directory, never the source tree.
func screenDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("GOMATO_TEST_OUT")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gomato-screens")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is one headless Chromium with a fresh profile, driven over the
// DevTools protocol, and the test server it talks to. Its methods fail the
// test they were given with on(t).
type browser struct {
	t    testing.TB
	ctx  context.Context
	base string
	// dialogs records JavaScript dialogs: an alert means injected script ran.
	dialogs *dialogLog
}

type dialogLog struct {
	mu   sync.Mutex
	msgs []string
}

// on returns the browser failing t (a subtest) instead.
func (b *browser) on(t testing.TB) *browser {
	c := *b
	c.t = t
	return &c
}

// serveHTTP serves h's server on a loopback port of the OS's choosing.
func serveHTTP(t testing.TB, h *webtest.Harness) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.Server.App().Listener(ln) }()
	t.Cleanup(func() { _ = h.Server.App().ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String()
}

// newBrowser starts Chromium with the flags of the issue; bound is the
// longest the whole test may drive it.
func newBrowser(t testing.TB, base string, bound time.Duration) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is not installed at %s: run `bash deploy/local/services.sh --chromium` (as root) first", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	// A bound for the whole test: a hung browser fails, never blocks.
	ctx, cancelTimeout := context.WithTimeout(ctx, bound)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base, dialogs: &dialogLog{}}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.dialogs.mu.Lock()
			b.dialogs.msgs = append(b.dialogs.msgs, ev.Message)
			b.dialogs.mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return b
}

// do runs steps, each wait bounded, and fails the test with the page's
// location on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

// text is the text of the first element matching sel, once there is one.
// It is read in the page's JavaScript, not by DOM node id, so a page that
// is still settling cannot invalidate the node between query and read.
func (b *browser) text(sel string) string {
	b.t.Helper()
	b.waitFor(sel, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
	return fmt.Sprint(b.eval(fmt.Sprintf(`(document.querySelector(%q) || {textContent: ''}).textContent`, sel)))
}

func (b *browser) eval(js string) any {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// strings evaluates js, which yields an array of strings.
func (b *browser) strings(js string) []string {
	b.t.Helper()
	var out []string
	if xs, ok := b.eval(js).([]any); ok {
		for _, x := range xs {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// exists reports whether sel matches an element now (no waiting).
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`document.querySelector(%q) !== null`, sel)) == true
}

// waitFor polls a JavaScript condition until it holds. A navigation
// under way destroys the page's JavaScript context: that is retried, not
// a failure.
func (b *browser) waitFor(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
	// The condition holds only once htmx is idle too: a swap still in
	// flight replaces the nodes the next step would act on.
	js = `(` + js + `) && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')`
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		cancel()
		if err == nil && v {
			return
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	b.t.Fatalf("wait for %s (at %s): condition never held (last error: %v)", what, loc, last)
}

// screenshot writes name.png into screenDir and logs its path.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	// A page no taller than the window is shot as the window: Chromium's
	// full-page capture shifts short right-to-left pages sideways.
	shot := chromedp.FullScreenshot(100)
	if fits, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollHeight <= window.innerHeight`)); fits {
		shot = chromedp.CaptureScreenshot()
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(screenDir(b.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.do("open the sign-in page",
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("sign-out")),
	)
}

func (b *browser) signOut() {
	b.t.Helper()
	b.waitFor("a loaded page", `document.readyState === 'complete' && document.getElementById('sign-out') !== null`)
	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
}

func (b *browser) noDialogs() {
	b.t.Helper()
	b.dialogs.mu.Lock()
	defer b.dialogs.mu.Unlock()
	if len(b.dialogs.msgs) > 0 {
		b.t.Errorf("JavaScript dialogs opened (injected script ran?): %q", b.dialogs.msgs)
	}
}

// htmlLangDir is <html>'s "lang dir".
func (b *browser) htmlLangDir() string {
	b.t.Helper()
	return fmt.Sprint(b.eval(`document.documentElement.lang + ' ' + document.documentElement.dir`))
}

// a11yJS lists the form controls of the page that have no label: no
// <label for>, no wrapping <label>, no aria-label(ledby).
const a11yJS = `Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea')).filter(el =>
	!(el.id && document.querySelector('label[for="' + el.id + '"]')) && !el.closest('label') &&
	!el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')).map(el => el.name || el.id || el.outerHTML.slice(0, 60))`

// checkA11y: every control labelled, <html> has lang and dir, and the page
// has a skip link to its main region.
func (b *browser) checkA11y(page string) {
	b.t.Helper()
	if v, ok := b.eval(a11yJS).([]any); !ok || len(v) > 0 {
		b.t.Errorf("%s: form controls without a label: %v", page, v)
	}
	if v := b.eval(`document.documentElement.lang !== '' && document.documentElement.dir !== '' && document.querySelector('a.skip[href="#main"]') !== null && document.getElementById('main') !== null`); v != true {
		b.t.Errorf("%s: lang, dir, skip link or main region missing", page)
	}
}

// The hostile names of the escaping test.
const (
	scriptName = "<script>alert(1)</script>"
	// bidiName carries a right-to-left override and an isolate that are
	// never closed; shown raw they would reverse everything after them.
	bidiName = "شرکت \u202eevil.exe\u2067 ltd"
)

// demoSite is the demo's music store (Persian, IRR, Asia/Tehran) and
// online retailer, built from slices of their datasets by Run with the
// demo's people, scored by a real worker through the queue, and served
// by the fully wired test server.
type demoSite struct {
	h     *webtest.Harness
	base  string
	sum   *Summary
	music core.Tenant
	creds map[string]Credential // by email
	// script and bidi are customers with hostile names, created in the
	// music store through the store after the load.
	script, bidi core.Customer
}

func newDemoSite(t *testing.T) *demoSite {
	t.Helper()
	t0 := time.Now()
	h := webtest.New(t)
	sum, err := Run(context.Background(), Config{DB: h.Env.DB, Registry: h.Env.Registry, DataDir: sliceData(t), Out: testWriter{t},
		Accounts: ControlPlane{Users: h.Users, Authz: h.Authz},
		Scoring:  Queue{Client: startWorker(t, h.Env), Timeout: 3 * time.Minute},
		Tenants:  []TenantSpec{Tenants[1], Tenants[0]}})
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	s := &demoSite{h: h, sum: sum, creds: map[string]Credential{}}
	for _, c := range sum.Credentials {
		s.creds[c.Email] = c
	}
	for _, ts := range sum.Tenants {
		if ts.Tenant.Slug == "music-store" {
			s.music = ts.Tenant
		}
	}
	ctx := tenanttest.Ctx(s.music)
	if s.script, err = h.Store.CreateCustomer(ctx, core.CustomerInput{Name: scriptName, Status: core.CustomerActive}); err != nil {
		t.Fatal(err)
	}
	if s.bidi, err = h.Store.CreateCustomer(ctx, core.CustomerInput{Name: bidiName, Status: core.CustomerInactive}); err != nil {
		t.Fatal(err)
	}
	s.base = serveHTTP(t, h)
	t.Logf("demo site (music store and online retailer slices, scored through the queue) ready in %s", time.Since(t0).Round(time.Millisecond))
	return s
}

// cred is the demo's sign-in for role in the music store.
func (s *demoSite) cred(t testing.TB, role string) Credential {
	t.Helper()
	c, ok := s.creds[strings.ReplaceAll(role, "_", "-")+"@music.example.com"]
	if !ok {
		t.Fatalf("the demo printed no sign-in for the music store's %s", role)
	}
	return c
}

// setLocale sets a user's own language through the control plane.
func (s *demoSite) setLocale(t testing.TB, email, lang string) {
	t.Helper()
	u, err := s.h.Users.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.h.Users.SetLocale(context.Background(), u.ID, lang); err != nil {
		t.Fatal(err)
	}
}

func (s *demoSite) userLocale(t testing.TB, email string) string {
	t.Helper()
	u, err := s.h.Users.ByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.Locale
}

// count runs a counting query in the music store's schema.
func (s *demoSite) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	ctx := tenanttest.Ctx(s.music)
	var n int
	if err := tenant.ReadTx(ctx, s.h.Env.DB, func(tx *sqlx.Tx) error { return tx.GetContext(ctx, &n, q, args...) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// scoreOf is what the worker wrote for the customer: its reasons in both
// languages and when it was computed.
func (s *demoSite) scoreOf(t testing.TB, id string) (en, fa []string, at time.Time) {
	t.Helper()
	ctx := tenanttest.Ctx(s.music)
	var raw []byte
	err := tenant.ReadTx(ctx, s.h.Env.DB, func(tx *sqlx.Tx) error {
		return tx.QueryRowxContext(ctx, `select reasons, computed_at from scores where customer_id = $1`, id).Scan(&raw, &at)
	})
	if err != nil {
		t.Fatalf("score of %s: %v", id, err)
	}
	var rs []struct {
		EN string `json:"text_en"`
		FA string `json:"text_fa"`
	}
	if err := json.Unmarshal(raw, &rs); err != nil {
		t.Fatalf("reasons %s: %v", raw, err)
	}
	for _, r := range rs {
		en, fa = append(en, r.EN), append(fa, r.FA)
	}
	return en, fa, at
}

func faDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + (r - '0')
		}
		return r
	}, s)
}

// inLang writes a number as the language's page shows it.
func inLang(lang string, n int) string {
	if lang == "fa" {
		return faDigits(fmt.Sprint(n))
	}
	return fmt.Sprint(n)
}

// TestBrowser drives the UI over the demo's data in one Chromium, in
// English and in Persian: the daily flow of sales and support, the
// per-user language switch, the dashboard, an own-records user, my tasks,
// the agency portfolio, and escaping of hostile names.
func TestBrowser(t *testing.T) {
	t0 := time.Now()
	s := newDemoSite(t)
	b := newBrowser(t, s.base, 6*time.Minute)
	t.Logf("screenshots go to %s", screenDir(t))
	for _, sub := range []struct {
		name string
		fn   func(*testing.T, *demoSite, *browser)
	}{
		{"SalesAndSupport", browserSalesAndSupport},
		{"LanguageSwitch", browserLanguageSwitch},
		{"Dashboard", browserDashboard},
		{"OwnRecordsScope", browserOwnRecords},
		{"MyTasks", browserMyTasks},
		{"Portfolio", browserPortfolio},
		{"Escaping", browserEscaping},
	} {
		t.Run(sub.name, func(t *testing.T) {
			st := time.Now()
			sub.fn(t, s, b.on(t))
			t.Logf("%s took %s", sub.name, time.Since(st).Round(time.Millisecond))
		})
	}
	t.Logf("TestBrowser took %s", time.Since(t0).Round(time.Millisecond))
}

// browserSalesAndSupport: sign in as sales, filter to high-risk active
// customers, open a profile, read the reasons, create a task; then sign
// in as support and find risk and CLV absent and health shown. In each
// language, with screenshots of the list and the profile.
func browserSalesAndSupport(t *testing.T, s *demoSite, b *browser) {
	sales, support := s.cred(t, "sales"), s.cred(t, "support")
	// Sales is not own-records scoped: they see every active high-risk
	// customer the worker scored.
	wantHigh := s.count(t, `select count(*) from customers c join scores s on s.customer_id = c.id
		where c.status = 'active' and s.risk_level = 'high'`)
	if wantHigh == 0 {
		t.Fatal("the demo's scoring left no active high-risk customer in the music store")
	}
	wantRows := min(wantHigh, 50) // one page
	for _, lang := range []string{"en", "fa"} {
		s.setLocale(t, sales.Email, lang)
		s.setLocale(t, support.Email, lang)

		b.signIn(sales.Email, sales.Password)
		b.do("open the customers", chromedp.Click(chromedp.CSS(`nav a[data-nav="customers"]`)))
		b.waitFor("the customers list", `location.pathname.endsWith('/customers') && document.querySelector('#customer-table') !== null`)
		wantDir := map[string]string{"en": "ltr", "fa": "rtl"}[lang]
		if got := b.htmlLangDir(); got != lang+" "+wantDir {
			t.Errorf("%s: <html> is %q, want %s %s", lang, got, lang, wantDir)
		}
		b.screenshot("customers-" + lang)

		// Status tab "active", then risk "high" through the filter form.
		b.do("open the active tab", chromedp.Click(chromedp.CSS(`.tabs a[data-tab="active"]`)))
		b.waitFor("the active tab", `location.search.includes('status=active') && document.querySelector('.tabs a[data-tab="active"][aria-current="page"]') !== null`)
		b.do("filter to high risk",
			chromedp.SetValue(chromedp.ID("f-risk"), "high"),
			chromedp.Click(chromedp.ID("apply-filters")),
		)
		b.waitFor("the high-risk rows", fmt.Sprintf(`location.search.includes('risk=high') && document.querySelectorAll('#customer-table tbody tr').length === %d`, wantRows))
		if got := b.text(`.tabs a[data-tab="active"] [data-count]`); strings.TrimSpace(got) != inLang(lang, wantHigh) {
			t.Errorf("%s: the active tab counts %q high-risk customers, the database %d", lang, got, wantHigh)
		}
		if n := b.eval(`document.querySelectorAll('#customer-table tbody tr [data-risk="high"]').length`); n != float64(wantRows) {
			t.Errorf("%s: %v high-risk badges on %d rows", lang, n, wantRows)
		}

		// The first row's profile, with the reasons the worker wrote.
		id := fmt.Sprint(b.eval(`document.querySelector('#customer-table tbody tr').dataset.customer`))
		wantEN, wantFA, computed := s.scoreOf(t, id)
		b.do("open the profile",
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-customer="%s"] .customer-link`, id))),
			chromedp.WaitVisible(chromedp.ID("retention-card")),
		)
		want := map[string][]string{"en": wantEN, "fa": wantFA}[lang]
		got := b.strings(`Array.from(document.querySelectorAll('#risk-reasons li')).map(li => li.textContent.trim())`)
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: reasons on the profile %q, the worker wrote %q", lang, got, want)
		}
		for _, sel := range []string{"#risk", "#clv", "#forecast", "#health-score"} {
			if !b.exists(sel) {
				t.Errorf("%s: sales sees no %s", lang, sel)
			}
		}
		if lang == "fa" {
			// The scoring day in the tenant's zone, in the Jalali calendar.
			j := jalali.FromTime(computed.In(mustZone(t, s.music.TimeZone)))
			jd := faDigits(fmt.Sprintf("%04d/%02d/%02d", j.Year, j.Month, j.Day))
			if card := b.text("#retention-card"); !strings.Contains(card, jd) {
				t.Errorf("fa: the retention card lacks the Jalali scoring date %s: %q", jd, card)
			}
		}
		b.checkA11y("profile")
		b.screenshot("profile-" + lang)

		// A task from the notes & tasks tab, through htmx.
		title := "Rescue call " + lang + " " + core.NewID().String()[:8]
		b.do("open notes & tasks", chromedp.Click(chromedp.CSS(`#profile-tabs a[data-tab="notes"]`)), chromedp.WaitVisible(chromedp.ID("task-form")))
		b.do("create a task",
			chromedp.SendKeys(chromedp.ID("task-title"), title),
			chromedp.SendKeys(chromedp.ID("task-due"), map[string]string{"en": "2031-05-01", "fa": "۱۴۱۰/۰۲/۱۱"}[lang]),
			chromedp.Click(chromedp.ID("task-submit")),
		)
		b.waitFor("the new task in the list", fmt.Sprintf(`(document.querySelector('#task-list') || {textContent: ''}).textContent.includes(%q)`, title))
		// 1410-02-11 (Jalali) is 2031-05-01.
		if n := s.count(t, `select count(*) from tasks where customer_id = $1 and title = $2 and (due_at at time zone 'Asia/Tehran')::date = '2031-05-01'`, id, title); n != 1 {
			t.Errorf("%s: %d tasks %q due 2031-05-01 on customer %s, want 1", lang, n, title, id)
		}
		b.signOut()

		// Support: health yes, risk and CLV no.
		b.signIn(support.Email, support.Password)
		b.do("open the profile as support",
			chromedp.Navigate(s.base+"/t/"+s.music.Slug+"/customers/"+id),
			chromedp.WaitVisible(chromedp.ID("retention-card")),
		)
		if !b.exists("#health-score") {
			t.Errorf("%s: support sees no health", lang)
		}
		for _, sel := range []string{"#risk", "#clv", "#risk-reasons", "#forecast", `[data-component="retention"]`} {
			if b.exists(sel) {
				t.Errorf("%s: support sees %s", lang, sel)
			}
		}
		b.screenshot("profile-support-" + lang)
		b.signOut()
	}
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// browserLanguageSwitch: the header's switch changes the language of the
// user who clicks it, on the page they were on, and of nobody else.
func browserLanguageSwitch(t *testing.T, s *demoSite, b *browser) {
	sales, support := s.cred(t, "sales"), s.cred(t, "support")
	s.setLocale(t, sales.Email, "fa")
	s.setLocale(t, support.Email, "fa")
	b.signIn(sales.Email, sales.Password)
	list := "/t/" + s.music.Slug + "/customers?status=active"
	b.do("open the list", chromedp.Navigate(s.base+list), chromedp.WaitVisible(chromedp.ID("customer-table")))
	if got := b.htmlLangDir(); got != "fa rtl" {
		t.Fatalf("before the switch <html> is %q, want fa rtl", got)
	}
	// A filter applied through htmx changes the URL without a page load:
	// the switch comes back to the filtered view.
	b.do("filter to high risk", chromedp.SetValue(chromedp.ID("f-risk"), "high"), chromedp.Click(chromedp.ID("apply-filters")))
	b.waitFor("the filtered list", `location.search.includes('risk=high')`)
	here := fmt.Sprint(b.eval(`location.pathname + location.search`))
	b.do("switch to English", chromedp.Click(chromedp.ID("language-switch")))
	b.waitFor("the page in English", `document.readyState === 'complete' && document.documentElement.lang === 'en' && document.querySelector('#customer-table') !== null`)
	if got := b.htmlLangDir(); got != "en ltr" {
		t.Errorf("after the switch <html> is %q, want en ltr", got)
	}
	if got := fmt.Sprint(b.eval(`location.pathname + location.search`)); got != here {
		t.Errorf("the switch came back to %q, want %q", got, here)
	}
	if got := s.userLocale(t, sales.Email); got != "en" {
		t.Errorf("sales' stored locale is %q, want en", got)
	}
	b.do("switch back to Persian", chromedp.Click(chromedp.ID("language-switch")))
	b.waitFor("the page in Persian", `document.readyState === 'complete' && document.documentElement.lang === 'fa' && document.documentElement.dir === 'rtl'`)
	b.do("switch to English again", chromedp.Click(chromedp.ID("language-switch")))
	b.waitFor("the page in English", `document.readyState === 'complete' && document.documentElement.lang === 'en'`)
	b.signOut()

	// Support of the same tenant keeps their own language.
	b.signIn(support.Email, support.Password)
	b.do("open the list as support", chromedp.Navigate(s.base+list), chromedp.WaitVisible(chromedp.ID("customer-table")))
	if got := b.htmlLangDir(); got != "fa rtl" {
		t.Errorf("support's page is %q after sales switched, want fa rtl", got)
	}
	b.signOut()
}

// browserDashboard: a manager opens the dashboard, clicks the high-risk
// card and lands on the filtered list with the same count, which is the
// database's, in both languages.
func browserDashboard(t *testing.T, s *demoSite, b *browser) {
	manager := s.cred(t, "manager")
	wantHigh := s.count(t, `select count(*) from scores where risk_level = 'high'`)
	for _, lang := range []string{"en", "fa"} {
		s.setLocale(t, manager.Email, lang)
		b.signIn(manager.Email, manager.Password)
		b.do("open the dashboard", chromedp.Click(chromedp.CSS(`nav a[data-nav="dashboard"]`)), chromedp.WaitVisible(chromedp.ID("levels")))
		b.checkA11y("dashboard")
		b.waitFor("the charts", `document.querySelector('#chart-dist') && document.querySelector('#chart-dist').width > 0 && typeof Chart !== 'undefined' && Chart.getChart('chart-dist') !== undefined`)
		// Every chart stays inside its card, on either side (the trend
		// chart once spilled out left in Persian, right in English).
		b.waitFor("the trend chart", `document.querySelector('#chart-trend') === null || Chart.getChart('chart-trend') !== undefined`)
		if out := b.eval(`[...document.querySelectorAll('canvas')].filter(c => { const r = c.getBoundingClientRect(), k = c.closest('.card').getBoundingClientRect(); return r.width === 0 || r.left < k.left - 1 || r.right > k.right + 1 }).map(c => c.id).join(' ')`); out != "" {
			t.Errorf("%s: charts outside their cards: %v", lang, out)
		}
		if n := b.eval(`document.querySelector('#levels [data-level="high"]').dataset.customers`); n != fmt.Sprint(wantHigh) {
			t.Errorf("%s: the dashboard counts %v high-risk customers, the database %d", lang, n, wantHigh)
		}
		b.screenshot("dashboard-" + lang)
		b.do("click the high-risk card", chromedp.Click(chromedp.CSS(`#levels [data-level="high"]`)))
		b.waitFor("the high-risk list", `location.search.includes('risk=high') && document.querySelector('#customer-table') !== null`)
		if got := b.text(`.tabs a[data-tab=""] [data-count]`); strings.TrimSpace(got) != inLang(lang, wantHigh) {
			t.Errorf("%s: the list counts %q high-risk customers, the database %d", lang, got, wantHigh)
		}
		if rows := b.eval(`document.querySelectorAll('#customer-table tbody tr').length`); rows != float64(min(wantHigh, 50)) {
			t.Errorf("%s: the list shows %v rows, want %d", lang, rows, min(wantHigh, 50))
		}
		b.signOut()
	}
}

// browserOwnRecords: a sales user whose role has the own-records scope
// sees only their customers on the dashboard and in the list; support gets
// the 403 page on the dashboard's URL.
func browserOwnRecords(t *testing.T, s *demoSite, b *browser) {
	ctx := context.Background()
	scoped := s.h.UserWithScope(t, s.music, authz.RoleSales)
	const password = "browser-test-pass-1403"
	if err := s.h.Users.SetPassword(ctx, scoped.ID, password); err != nil {
		t.Fatal(err)
	}
	// Three scored customers, the riskiest, change hands.
	tctx := tenanttest.Ctx(s.music)
	var mine []uuid.UUID
	err := tenant.Tx(tctx, s.h.Env.DB, func(tx *sqlx.Tx) error {
		return tx.SelectContext(tctx, &mine, `update customers set owner_id = $1 where id in
			(select customer_id from scores order by risk desc, customer_id limit 3) returning id`, scoped.ID)
	})
	if err != nil || len(mine) != 3 {
		t.Fatalf("give the scoped user three customers: %v (%d)", err, len(mine))
	}
	wantHigh := s.count(t, `select count(*) from scores s join customers c on c.id = s.customer_id where c.owner_id = $1 and s.risk_level = 'high'`, scoped.ID)
	s.setLocale(t, scoped.Email, "en")
	b.signIn(scoped.Email, password)
	b.do("open the dashboard", chromedp.Navigate(s.base+"/t/"+s.music.Slug+"/dashboard"), chromedp.WaitVisible(chromedp.ID("levels")))
	if n := b.eval(`document.querySelector('#levels [data-level="high"]').dataset.customers`); n != fmt.Sprint(wantHigh) {
		t.Errorf("scoped sales' dashboard counts %v high-risk customers, want %d (their own)", n, wantHigh)
	}
	b.do("open the list", chromedp.Navigate(s.base+"/t/"+s.music.Slug+"/customers"), chromedp.WaitVisible(chromedp.ID("customer-table")))
	b.checkA11y("customers")
	got := b.strings(`Array.from(document.querySelectorAll('#customer-table tbody tr')).map(r => r.dataset.customer)`)
	if !sameSet(got, idStrings(mine)) {
		t.Errorf("scoped sales' list = %q, want only their own %q", got, mine)
	}
	b.signOut()

	support := s.cred(t, "support")
	s.setLocale(t, support.Email, "en")
	b.signIn(support.Email, support.Password)
	b.do("open the dashboard as support", chromedp.Navigate(s.base+"/t/"+s.music.Slug+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".error-box")))
	if code := b.eval(`document.querySelector('.error-box .code').textContent.trim()`); code != "403" {
		t.Errorf("support's dashboard shows %v, want the 403 page", code)
	}
	b.signOut()
}

// browserMyTasks: sales finds the rescue tasks the worker assigned to
// them and completes one, in both languages.
func browserMyTasks(t *testing.T, s *demoSite, b *browser) {
	sales := s.cred(t, "sales")
	u, err := s.h.Users.ByEmail(context.Background(), sales.Email)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "fa"} {
		open := s.count(t, `select count(*) from tasks where assignee_id = $1 and source = 'rescue_alert' and status = 'open'`, u.ID)
		if open == 0 {
			t.Fatalf("%s: the worker left sales no open rescue task", lang)
		}
		s.setLocale(t, sales.Email, lang)
		b.signIn(sales.Email, sales.Password)
		b.do("open my tasks", chromedp.Click(chromedp.CSS(`nav a[data-nav="tasks"]`)), chromedp.WaitVisible(chromedp.ID("my-tasks")))
		b.checkA11y("tasks")
		if n := b.eval(`document.querySelectorAll('#my-tasks tbody tr .badge.high').length`); n == float64(0) {
			t.Errorf("%s: my tasks show no rescue task; %d are open", lang, open)
		}
		b.screenshot("tasks-" + lang)
		id := fmt.Sprint(b.eval(`document.querySelector('#my-tasks tbody tr').dataset.task`))
		b.do("complete the task", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#my-tasks tr[data-task="%s"] [data-action="complete"]`, id))))
		b.waitFor("the task gone", fmt.Sprintf(`document.readyState === 'complete' && document.querySelector('.alert.ok') !== null &&
			document.querySelector('#my-tasks tr[data-task="%s"]') === null`, id))
		if n := s.count(t, `select count(*) from tasks where id = $1 and status = 'done'`, id); n != 1 {
			t.Errorf("%s: task %s is not completed in the database", lang, id)
		}
		b.signOut()
	}
}

// browserPortfolio: the demo's agency admin sees the demo's tenants and
// not another agency's; another agency's portfolio is 403.
func browserPortfolio(t *testing.T, s *demoSite, b *browser) {
	ctx := context.Background()
	other := s.h.Agency(t, "browser-other")
	foreign, err := s.h.Env.Registry.CreateTenant(ctx, tenant.NewTenant{Slug: "browser-foreign-" + core.NewID().String()[:6],
		Name: "Foreign", Locale: "en", Currency: "USD", TimeZone: "UTC", AgencySlug: other.Slug})
	if err != nil {
		t.Fatal(err)
	}
	var mine []string
	for _, ts := range s.sum.Tenants {
		mine = append(mine, ts.Tenant.Slug)
	}
	admin, ok := s.creds["agency-admin@demo.example.com"]
	if !ok {
		t.Fatal("the demo printed no agency admin")
	}
	for _, lang := range []string{"en", "fa"} {
		s.setLocale(t, admin.Email, lang)
		b.signIn(admin.Email, admin.Password)
		b.do("open the portfolio", chromedp.Navigate(s.base+"/agency/"+AgencySlug), chromedp.WaitVisible(chromedp.ID("portfolio")))
		got := b.strings(`Array.from(document.querySelectorAll('#portfolio tbody tr')).map(r => r.dataset.tenant)`)
		if !sameSet(got, mine) {
			t.Errorf("%s: portfolio shows %v, want %v", lang, got, mine)
		}
		for _, g := range got {
			if g == foreign.Slug {
				t.Errorf("%s: portfolio shows another agency's tenant", lang)
			}
		}
		b.screenshot("portfolio-" + lang)
		b.do("open the other agency", chromedp.Navigate(s.base+"/agency/"+other.Slug), chromedp.WaitVisible(chromedp.CSS(".error-box")))
		if code := b.eval(`document.querySelector('.error-box .code').textContent.trim()`); code != inLang(lang, 403) {
			t.Errorf("%s: another agency's portfolio shows %v, want 403", lang, code)
		}
		b.signOut()
	}
}

// browserEscaping: the customer named <script>alert(1)</script> shows as
// text and runs nothing, on its profile and in a search; the bidi-named
// one is isolated in its row.
func browserEscaping(t *testing.T, s *demoSite, b *browser) {
	manager := s.cred(t, "manager")
	for _, lang := range []string{"en", "fa"} {
		s.setLocale(t, manager.Email, lang)
		b.signIn(manager.Email, manager.Password)
		b.do("open the script-named customer",
			chromedp.Navigate(s.base+"/t/"+s.music.Slug+"/customers/"+s.script.ID.String()),
			chromedp.WaitVisible(chromedp.ID("customer-name")),
		)
		if got := b.text("#customer-name"); got != scriptName {
			t.Errorf("%s: name shows as %q, want the literal %q", lang, got, scriptName)
		}
		b.do("search for it", chromedp.Navigate(s.base+"/t/"+s.music.Slug+"/customers?q=script"), chromedp.WaitVisible(chromedp.ID("customer-table")))
		if got := b.strings(`Array.from(document.querySelectorAll('#customer-table .customer-link')).map(a => a.textContent.trim())`); len(got) != 1 || got[0] != scriptName {
			t.Errorf("%s: search for script lists %q, want the literal name once", lang, got)
		}
		b.do("open the list of inactive customers", chromedp.Navigate(s.base+"/t/"+s.music.Slug+"/customers?status=inactive"),
			chromedp.WaitVisible(chromedp.ID("customer-table")))
		// The status badge after the bidi name keeps its place: the name's
		// override ends at its <bdi>.
		v := b.eval(fmt.Sprintf(`(() => { const a = document.querySelector('tr[data-customer="%s"] bdi'); return a && a.textContent === %q && getComputedStyle(a).unicodeBidi; })()`, s.bidi.ID, bidiName))
		if v != "isolate" {
			t.Errorf("%s: bidi name cell: %v, want its text intact in an isolating <bdi>", lang, v)
		}
		b.signOut()
	}
	b.noDialogs()
}

func idStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
