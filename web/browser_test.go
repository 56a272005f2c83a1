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
	"github.com/gomato/gomato/tenant/store"
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
	t.Parallel() // its own database; overlaps with the package's other tests
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
		b.checkA11y("profile")
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
	browserScopeAndPortfolio(t, f, b)
	browserEscaping(t, f, b)
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

// browserScopeAndPortfolio: an own-records sales user sees only their
// customers on the dashboard and in the list; support gets 403 on the
// dashboard URL; an agency admin sees their agency's tenants only.
// Screenshots of tasks and the portfolio in both languages.
func browserScopeAndPortfolio(t *testing.T, f *browserFixture, b *browser) {
	ctx := context.Background()
	scoped := f.h.UserWithScope(t, f.tn, authz.RoleSales)
	if err := f.h.Users.SetPassword(ctx, scoped.ID, f.password); err != nil {
		t.Fatal(err)
	}
	own, err := f.h.Store.CreateCustomer(tenanttest.Ctx(f.tn), core.CustomerInput{Name: "Scoped Own Co", OwnerID: &scoped.ID})
	if err != nil {
		t.Fatal(err)
	}
	insertScore(t, f.h.Env.DB, f.tn, own.ID, 0.9, "high", 4242)
	setLocale(t, f.h, scoped, "en")
	b.signIn(scoped.Email, f.password)
	b.do("open the dashboard", chromedp.Navigate(f.base+"/t/"+f.tn.Slug+"/dashboard"), chromedp.WaitVisible(chromedp.ID("levels")))
	b.checkA11y("dashboard")
	if n := b.eval(`document.querySelector('#levels [data-level="high"]').dataset.customers`); n != "1" {
		t.Errorf("scoped sales' dashboard counts %v high-risk customers, want 1 (their own)", n)
	}
	b.do("open the list", chromedp.Navigate(f.base+"/t/"+f.tn.Slug+"/customers"), chromedp.WaitVisible(chromedp.ID("customer-table")))
	b.checkA11y("customers")
	if got := b.rowNames(); len(got) != 1 || got[0] != "Scoped Own Co" {
		t.Errorf("scoped sales' list = %q, want only Scoped Own Co", got)
	}
	b.signOut()

	support := f.users[authz.RoleSupport]
	setLocale(t, f.h, support, "en")
	b.signIn(support.Email, f.password)
	b.do("open the dashboard as support", chromedp.Navigate(f.base+"/t/"+f.tn.Slug+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(".error-box")))
	if code := b.eval(`document.querySelector('.error-box .code').textContent.trim()`); code != "403" {
		t.Errorf("support's dashboard shows %v, want the 403 page", code)
	}
	b.signOut()

	// Tasks: a rescue task for sales, in both languages.
	sales := f.users[authz.RoleSales]
	due := time.Now().Add(-24 * time.Hour)
	title := "Call " + f.high.Name
	if _, err := f.h.Store.CreateTask(tenanttest.Ctx(f.tn), store.TaskAccess{All: true}, core.TaskUpdate{CustomerID: &f.high.ID, Title: &title, DueAt: &due, AssigneeID: &sales.ID}); err != nil {
		t.Fatal(err)
	}
	// Two agencies; the admin of the first is a member of one of its tenants.
	a, other := f.h.Agency(t, "browser-a"), f.h.Agency(t, "browser-b")
	var mine []string
	for _, name := range []string{"one", "two"} {
		tn, err := f.h.Env.Registry.CreateTenant(ctx, tenantFor("browser-"+name, a.Slug))
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, tn.Slug)
	}
	foreign, err := f.h.Env.Registry.CreateTenant(ctx, tenantFor("browser-foreign", other.Slug))
	if err != nil {
		t.Fatal(err)
	}
	admin := f.h.AgencyAdmin(t, a.Slug)
	if err := f.h.Users.SetPassword(ctx, admin.ID, f.password); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "fa"} {
		setLocale(t, f.h, sales, lang)
		b.signIn(sales.Email, f.password)
		b.do("open my tasks", chromedp.Click(chromedp.CSS(`nav a[data-nav="tasks"]`)), chromedp.WaitVisible(chromedp.ID("my-tasks")))
		b.checkA11y("tasks")
		b.screenshot("tasks-" + lang)
		b.do("complete the task", chromedp.Click(chromedp.CSS(`#my-tasks [data-action="complete"]`)))
		// The completed task's page: loaded, with the confirmation, and
		// without the task.
		b.waitFor("the task gone", `document.readyState === 'complete' && document.querySelector('.alert.ok') !== null &&
			(document.querySelector('#my-tasks') === null || !document.querySelector('#my-tasks').textContent.includes('Call '))`)
		b.signOut()
		if lang == "en" {
			if _, err := f.h.Store.CreateTask(tenanttest.Ctx(f.tn), store.TaskAccess{All: true}, core.TaskUpdate{CustomerID: &f.high.ID, Title: &title, DueAt: &due, AssigneeID: &sales.ID}); err != nil {
				t.Fatal(err)
			}
		}

		setLocale(t, f.h, admin, lang)
		b.signIn(admin.Email, f.password)
		b.do("open the portfolio", chromedp.Navigate(f.base+"/agency/"+a.Slug), chromedp.WaitVisible(chromedp.ID("portfolio")))
		got := b.eval(`Array.from(document.querySelectorAll('#portfolio tbody tr')).map(r => r.dataset.tenant).join(' ')`)
		if !sameSet(strings.Fields(fmt.Sprint(got)), mine) {
			t.Errorf("%s: portfolio shows %v, want %v", lang, got, mine)
		}
		if strings.Contains(fmt.Sprint(got), foreign.Slug) {
			t.Errorf("%s: portfolio shows another agency's tenant", lang)
		}
		b.screenshot("portfolio-" + lang)
		b.do("open the other agency", chromedp.Navigate(f.base+"/agency/"+other.Slug), chromedp.WaitVisible(chromedp.CSS(".error-box")))
		if code := b.eval(`document.querySelector('.error-box .code').textContent.trim()`); code != map[string]string{"en": "403", "fa": "۴۰۳"}[lang] {
			t.Errorf("%s: another agency's portfolio shows %v, want 403", lang, code)
		}
		b.signOut()
	}
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
