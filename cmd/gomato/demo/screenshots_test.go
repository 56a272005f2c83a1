//go:build screenshots

package demo

// `make screenshots` runs this (go test -tags screenshots): the demo
// loader builds the whole demo on a throwaway database, a real worker
// scores it through the queue, and the browser harness of browser_test.go
// photographs the list, the profile, the dashboard, my tasks and the
// portfolio in Persian and English into $GOMATO_SCREENSHOTS_DIR
// (docs/screenshots). Ordinary test runs do not build this file, so tests
// never write into the source tree.

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/web/webtest"
)

func TestScreenshots(t *testing.T) {
	out := os.Getenv("GOMATO_SCREENSHOTS_DIR")
	if out == "" {
		t.Fatal("set GOMATO_SCREENSHOTS_DIR (make screenshots sets it to docs/screenshots)")
	}
	out, _ = filepath.Abs(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOMATO_TEST_OUT", out)
	h := webtest.New(t)
	ctx := context.Background()
	sum, err := Run(ctx, Config{DB: h.Env.DB, Registry: h.Env.Registry,
		Accounts: ControlPlane{Users: h.Users, Authz: h.Authz},
		Scoring:  Queue{Client: startWorker(t, h.Env), Timeout: 5 * time.Minute},
		DataDir:  filepath.Join("..", "..", "..", "testdata"), Out: io.Discard})
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	creds := map[string]Credential{}
	for _, c := range sum.Credentials {
		creds[c.Email] = c
	}
	tenants := map[string]core.Tenant{}
	for _, ts := range sum.Tenants {
		tenants[ts.Tenant.Slug] = ts.Tenant
	}
	setLocale := func(email, lang string) {
		u, err := h.Users.ByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Users.SetLocale(ctx, u.ID, lang); err != nil {
			t.Fatal(err)
		}
	}
	base := serveHTTP(t, h)
	b := newBrowser(t, base, 10*time.Minute)
	shoot := func(lang, slug, domain string) {
		tn := tenants[slug]
		sales, manager := creds["sales@"+domain], creds["manager@"+domain]
		setLocale(sales.Email, lang)
		setLocale(manager.Email, lang)
		b.signIn(manager.Email, manager.Password)
		b.do("dashboard", chromedp.Navigate(base+"/t/"+tn.Slug+"/dashboard"), chromedp.WaitVisible(chromedp.ID("levels")))
		b.waitFor("charts", `typeof Chart !== 'undefined' && Chart.getChart('chart-dist') !== undefined`)
		b.screenshot("dashboard-" + lang)
		b.do("riskiest customers", chromedp.Navigate(base+"/t/"+tn.Slug+"/customers?status=active&sort=-risk"), chromedp.WaitVisible(chromedp.ID("customer-table")))
		b.screenshot("customers-" + lang)
		b.do("profile", chromedp.Click(chromedp.CSS("#customer-table tbody tr .customer-link")), chromedp.WaitVisible(chromedp.ID("retention-card")))
		b.screenshot("profile-" + lang)
		b.signOut()
		b.signIn(sales.Email, sales.Password)
		b.do("my tasks", chromedp.Navigate(base+"/t/"+tn.Slug+"/tasks"), chromedp.WaitVisible(chromedp.ID("main")))
		b.screenshot("tasks-" + lang)
		b.signOut()
	}
	shoot("fa", "music-store", "music.example.com")
	shoot("en", "online-retail", "retail.example.com")
	admin := creds["agency-admin@demo.example.com"]
	for _, lang := range []string{"en", "fa"} {
		setLocale(admin.Email, lang)
		b.signIn(admin.Email, admin.Password)
		b.do("portfolio", chromedp.Navigate(base+"/agency/"+AgencySlug), chromedp.WaitVisible(chromedp.ID("main")))
		b.screenshot("portfolio-" + lang)
		b.signOut()
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	t.Logf("screenshots in %s: %s", out, strings.Join(names, ", "))
}
