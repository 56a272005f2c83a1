package web_test

import (
	"context"
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

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web/webtest"
)

// chromiumPath is Debian's Chromium, installed by
// `deploy/local/services.sh --chromium`.
const chromiumPath = "/usr/bin/chromium"

// screenDir is where browser tests put their screenshots: outside the
// source tree, printed by each test.
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
// DevTools protocol, and the test server it talks to.
type browser struct {
	t    testing.TB
	ctx  context.Context
	base string
	// dialogs counts JavaScript dialogs: an alert means injected script ran.
	mu      sync.Mutex
	dialogs []string
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

func newBrowser(t testing.TB, base string) *browser {
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
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

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
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

// exists reports whether sel matches an element now (no waiting).
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	v := b.eval(fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
	return v == true
}

// waitFor polls a JavaScript condition until it holds. A navigation
// under way destroys the page's JavaScript context: that is retried, not
// a failure.
func (b *browser) waitFor(what, js string) {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last error
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

func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
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
	b.do("sign out", chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in")))
}

func (b *browser) noDialogs() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		b.t.Errorf("JavaScript dialogs opened (injected script ran?): %q", b.dialogs)
	}
}

// browserFixture adds customers of every risk level to the UI fixture and
// passwords to its users.
type browserFixture struct {
	*uiFixture
	base       string
	password   string
	highActive []string // names of the active high-risk customers
}

func newBrowserFixture(t *testing.T) *browserFixture {
	t.Helper()
	f := &browserFixture{uiFixture: newUIFixture(t), password: "browser-test-pass-1403"}
	ctx := tenanttest.Ctx(f.tn)
	owner := f.users[authz.RoleSales].ID
	for i, c := range []struct {
		name, status, level string
		risk                float64
	}{
		{"Pars Trading", "active", "high", 0.71},
		{"کارخانه بتا", "active", "high", 0.64},
		{"Gamma Foods", "active", "medium", 0.44},
		{"Delta Steel", "active", "low", 0.08},
		{"Epsilon Old", "inactive", "high", 0.93},
	} {
		cu, err := f.h.Store.CreateCustomer(ctx, core.CustomerInput{Name: c.name, Status: core.CustomerStatus(c.status), OwnerID: &owner})
		if err != nil {
			t.Fatal(err)
		}
		insertScore(t, f.h.Env.DB, f.tn, cu.ID, c.risk, c.level, int64(1000000*(i+1)))
		if c.status == "active" && c.level == "high" {
			f.highActive = append(f.highActive, c.name)
		}
	}
	f.highActive = append(f.highActive, f.high.Name)
	for _, u := range f.users {
		if err := f.h.Users.SetPassword(context.Background(), u.ID, f.password); err != nil {
			t.Fatal(err)
		}
	}
	f.base = serveHTTP(t, f.h)
	return f
}

// rowNames reads the customer names of the list's rows.
func (b *browser) rowNames() []string {
	v := b.eval(`Array.from(document.querySelectorAll('#customer-table tbody tr .customer-link')).map(a => a.textContent.trim())`)
	var out []string
	if xs, ok := v.([]any); ok {
		for _, x := range xs {
			out = append(out, fmt.Sprint(x))
		}
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

// TestBrowserSalesAndSupport walks the daily flow in a real browser, in
// English and in Persian: sign in as sales, filter to high-risk active
// customers, open a profile, read the reasons, create a task; then sign
// in as support and find risk and CLV absent and health shown.
func TestBrowserSalesAndSupport(t *testing.T) {
	f := newBrowserFixture(t)
	b := newBrowser(t, f.base)
	sales, support := f.users[authz.RoleSales], f.users[authz.RoleSupport]
	for _, lang := range []string{"en", "fa"} {
		setLocale(t, f.h, sales, lang)
		setLocale(t, f.h, support, lang)

		b.signIn(sales.Email, f.password)
		b.do("open the customers", chromedp.Click(chromedp.CSS(`nav a[data-nav="customers"]`)))
		b.waitFor("the customers list", `location.pathname.endsWith('/customers') && document.querySelector('#customer-table') !== null`)
		wantDir := map[string]string{"en": "ltr", "fa": "rtl"}[lang]
		if got := b.eval(`document.documentElement.lang + ' ' + document.documentElement.dir`); got != lang+" "+wantDir {
			t.Errorf("%s: <html> is %v, want %s %s", lang, got, lang, wantDir)
		}
		b.screenshot("customers-" + lang)

		// Status tab "active", then risk "high" through the filter form.
		b.do("open the active tab", chromedp.Click(chromedp.CSS(`.tabs a[data-tab="active"]`)))
		b.waitFor("the active tab", `location.search.includes('status=active') && document.querySelector('.tabs a[data-tab="active"][aria-current="page"]') !== null`)
		b.do("filter to high risk",
			chromedp.SetValue(chromedp.ID("f-risk"), "high"),
			chromedp.Click(chromedp.ID("apply-filters")),
		)
		b.waitFor("the high-risk rows", fmt.Sprintf(`location.search.includes('risk=high') && document.querySelectorAll('#customer-table tbody tr').length === %d`, len(f.highActive)))
		if got := b.rowNames(); !sameSet(got, f.highActive) {
			t.Errorf("%s: high-risk active customers = %q, want %q", lang, got, f.highActive)
		}
		if n := b.eval(`document.querySelectorAll('#customer-table [data-risk="high"]').length`); n != float64(len(f.highActive)) {
			t.Errorf("%s: %v high-risk badges, want %d", lang, n, len(f.highActive))
		}
		b.screenshot("customers-high-risk-" + lang)

		// The profile of the high-risk customer with its reasons.
		b.do("open the profile",
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`tr[data-customer="%s"] .customer-link`, f.high.ID))),
			chromedp.WaitVisible(chromedp.ID("retention-card")),
		)
		reasons := b.text("#risk-reasons")
		wantReason := map[string]string{"en": "no purchase for 140 days, 3× the usual gap", "fa": "۱۴۰ روز بدون خرید"}[lang]
		if !strings.Contains(reasons, wantReason) {
			t.Errorf("%s: reasons %q lack %q", lang, reasons, wantReason)
		}
		if lang == "fa" {
			// The scoring date, 2025-03-20, in the Jalali calendar.
			if card := b.text("#retention-card"); !strings.Contains(card, "۱۴۰۳/۱۲/۳۰") {
				t.Errorf("fa: retention card shows no Jalali date: %q", card)
			}
		}
		b.screenshot("profile-" + lang)

		// A task from the notes & tasks tab, through htmx.
		title := "Rescue call " + lang
		b.do("open notes & tasks", chromedp.Click(chromedp.CSS(`#profile-tabs a[data-tab="notes"]`)), chromedp.WaitVisible(chromedp.ID("task-form")))
		b.do("create a task",
			chromedp.SendKeys(chromedp.ID("task-title"), title),
			chromedp.SendKeys(chromedp.ID("task-due"), map[string]string{"en": "2031-05-01", "fa": "۱۴۱۰/۰۲/۱۱"}[lang]),
			chromedp.Click(chromedp.ID("task-submit")),
		)
		b.waitFor("the new task in the list", fmt.Sprintf(`(document.querySelector('#task-list') || {textContent: ''}).textContent.includes(%q)`, title))
		b.signOut()

		// Support: health yes, risk and CLV no.
		b.signIn(support.Email, f.password)
		b.do("open the profile as support",
			chromedp.Navigate(f.base+"/t/"+f.tn.Slug+"/customers/"+f.high.ID.String()),
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
	browserDashboard(t, f, b)
	browserEscaping(t, f, b)
}

// browserDashboard: a manager opens the dashboard, clicks the high-risk
// card and lands on the filtered list with the same count, in both
// languages.
func browserDashboard(t *testing.T, f *browserFixture, b *browser) {
	manager := f.users[authz.RoleManager]
	for _, lang := range []string{"en", "fa"} {
		setLocale(t, f.h, manager, lang)
		b.signIn(manager.Email, f.password)
		b.do("open the dashboard", chromedp.Click(chromedp.CSS(`nav a[data-nav="dashboard"]`)), chromedp.WaitVisible(chromedp.ID("levels")))
		b.waitFor("the charts", `document.querySelector('#chart-dist') && document.querySelector('#chart-dist').width > 0 && typeof Chart !== 'undefined' && Chart.getChart('chart-dist') !== undefined`)
		n := b.eval(`document.querySelector('#levels [data-level="high"]').dataset.customers`)
		b.screenshot("dashboard-" + lang)
		b.do("click the high-risk card", chromedp.Click(chromedp.CSS(`#levels [data-level="high"]`)))
		b.waitFor("the high-risk list", `location.search.includes('risk=high') && document.querySelector('#customer-table') !== null`)
		if got := b.eval(`document.querySelector('.tabs a[data-tab=""] [data-count]').textContent.trim()`); got != map[string]string{"en": fmt.Sprint(n), "fa": faDigits(fmt.Sprint(n))}[lang] {
			t.Errorf("%s: dashboard says %v high-risk customers, the list counts %v", lang, n, got)
		}
		if rows := b.eval(`document.querySelectorAll('#customer-table tbody tr').length`); fmt.Sprint(rows) != fmt.Sprint(n) {
			t.Errorf("%s: dashboard says %v high-risk customers, the list shows %v rows", lang, n, rows)
		}
		b.signOut()
	}
}

func faDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '۰' + (r - '0')
		}
		return r
	}, s)
}

// browserEscaping: the customer named <script>alert(1)</script> shows
// as text and runs nothing; the bidi-named one does not reorder its row.
func browserEscaping(t *testing.T, f *browserFixture, b *browser) {
	setLocale(t, f.h, f.users[authz.RoleManager], "en")
	b.signIn(f.users[authz.RoleManager].Email, f.password)
	b.do("open the script-named customer",
		chromedp.Navigate(f.base+"/t/"+f.tn.Slug+"/customers/"+f.script.ID.String()),
		chromedp.WaitVisible(chromedp.ID("customer-name")),
	)
	if got := b.text("#customer-name"); got != scriptName {
		t.Errorf("name shows as %q, want the literal %q", got, scriptName)
	}
	b.do("open the list of inactive customers", chromedp.Navigate(f.base+"/t/"+f.tn.Slug+"/customers?status=inactive"),
		chromedp.WaitVisible(chromedp.ID("customer-table")))
	// The status badge after the bidi name keeps its place: the name's
	// override ends at its <bdi>.
	v := b.eval(fmt.Sprintf(`(() => { const a = document.querySelector('tr[data-customer="%s"] bdi'); return a.textContent === %q && getComputedStyle(a).unicodeBidi; })()`, f.bidi.ID, bidiName))
	if v != "isolate" {
		t.Errorf("bidi name cell: %v, want its text intact in an isolating <bdi>", v)
	}
	b.noDialogs()
}
