package demo

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
	"github.com/gomato/gomato/web"
)

// The slices: the first lines of each file, written to a temporary data
// directory that the demo then reads like the real one.
const (
	retailSliceLines = 6000 // the first days of December 2010
	musicSliceLines  = 1500 // the first ~500 CDNOW customers
	telecomSliceRows = 300  // enough contracts and churn events for the contract model
)

// sliceData writes the first lines of each dataset into a temporary
// directory under the datasets' own names.
func sliceData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	head := func(name string, n int, gz bool) {
		f, err := os.Open(dataPath(name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var r io.Reader = f
		if gz {
			zr, err := gzip.NewReader(f)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		out, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var w io.Writer = out
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(out)
			w = zw
		}
		br := bufio.NewReader(r)
		for i := 0; i <= n; i++ { // the header and n lines
			line, err := br.ReadString('\n')
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			io.WriteString(w, line)
		}
		if zw != nil {
			zw.Close()
		}
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	head(RetailFile, retailSliceLines, true)
	head(MusicFile, musicSliceLines, false)
	head(TelecomFile, telecomSliceRows, false)
	return dir
}

func fixedNow() time.Time { return time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC) }

// musicSliceTotal sums a CDNOW file's dollar values with math/big and
// returns customers, rows and rials (at RialsPerDollar).
func musicSliceTotal(t *testing.T, dir string) (customers, rows int, rials int64) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, MusicFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[string]bool{}
	total := new(big.Rat)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		seen[fs[0]] = true
		v, ok := new(big.Rat).SetString(fs[3])
		if !ok {
			t.Fatalf("bad amount %q", fs[3])
		}
		total.Add(total, v)
		rows++
	}
	total.Mul(total, big.NewRat(RialsPerDollar, 1))
	if !total.IsInt() {
		t.Fatalf("rial total %s is not whole", total)
	}
	return len(seen), rows, total.Num().Int64()
}

// telecomSliceTotal: Σ tenure × MonthlyCharges in cents over a Telco
// file, and how many churned.
func telecomSliceTotal(t *testing.T, dir string) (customers, invoices int, cents int64, churned int) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, TelecomFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	total := new(big.Rat)
	for _, r := range recs[1:] {
		customers++
		m, ok := new(big.Rat).SetString(r[18])
		ten, ok2 := new(big.Rat).SetString(r[5])
		if !ok || !ok2 {
			t.Fatalf("bad row %v", r)
		}
		total.Add(total, new(big.Rat).Mul(m, ten))
		invoices += int(ten.Num().Int64())
		if r[20] == "Yes" {
			churned++
		}
	}
	total.Mul(total, big.NewRat(100, 1))
	return customers, invoices, total.Num().Int64(), churned
}

type dbTotals struct {
	Customers, Invoices, CreditNotes, Lines, Payments, Contracts, Churned, Owned int
	Net, LinesNet, Paid, CustomerInvoiced                                        int64
}

func totals(t *testing.T, db *sqlx.DB, tn core.Tenant) dbTotals {
	t.Helper()
	ctx := tenanttest.Ctx(tn)
	var d dbTotals
	err := tenant.ReadTx(ctx, db, func(tx *sqlx.Tx) error {
		return tx.QueryRowxContext(ctx, `select
			(select count(*) from customers), (select count(*) from invoices where kind = 'invoice'),
			(select count(*) from invoices where kind = 'credit_note'), (select count(*) from invoice_lines),
			(select count(*) from payments), (select count(*) from contracts), (select count(*) from contracts where churned),
			(select count(*) from customers where owner_id is not null),
			(select coalesce(sum(total), 0) from invoices), (select coalesce(sum(amount), 0) from invoice_lines),
			(select coalesce(sum(amount), 0) from payments), (select coalesce(sum(invoiced_total), 0) from customers)`).
			Scan(&d.Customers, &d.Invoices, &d.CreditNotes, &d.Lines, &d.Payments, &d.Contracts, &d.Churned, &d.Owned,
				&d.Net, &d.LinesNet, &d.Paid, &d.CustomerInvoiced)
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDemoLoadsSlicesOfEveryDataset runs the demo's own path (registry,
// bulk COPY in the scoped transaction) on the first lines of each dataset
// and checks counts and money against totals computed here from the same
// lines with math/big; then that a second run duplicates nothing and
// --reset reloads.
func TestDemoLoadsSlicesOfEveryDataset(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	dir := sliceData(t)
	accounts := ControlPlane{Users: &tenant.Users{DB: env.DB}, Authz: authz.New(env.DB, quietLog(t))}
	cfg := Config{DB: env.DB, Registry: env.Registry, DataDir: dir, Now: fixedNow, Out: testWriter{t}, Accounts: accounts}
	sum, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Tenants) != 3 {
		t.Fatalf("%d tenants, want 3", len(sum.Tenants))
	}
	byslug := map[string]TenantSummary{}
	for _, ts := range sum.Tenants {
		byslug[ts.Tenant.Slug] = ts
		if ts.Tenant.AgencyID == nil {
			t.Errorf("%s is not in the demo agency", ts.Tenant.Slug)
		}
	}

	retail := totals(t, env.DB, byslug["online-retail"].Tenant)
	wantCust, wantPence := retailSliceTotal(t, filepath.Join(dir, RetailFile))
	if retail.Customers != wantCust || retail.Net != wantPence || retail.LinesNet != wantPence || retail.CustomerInvoiced != wantPence {
		t.Errorf("retail: %d customers, invoices net %d, lines net %d, customers' totals %d; want %d customers and %d pence throughout",
			retail.Customers, retail.Net, retail.LinesNet, retail.CustomerInvoiced, wantCust, wantPence)
	}
	if retail.CreditNotes == 0 || retail.Lines == 0 {
		t.Errorf("retail: %d credit notes, %d lines; want some of each", retail.CreditNotes, retail.Lines)
	}

	music := totals(t, env.DB, byslug["music-store"].Tenant)
	mc, mrows, mrials := musicSliceTotal(t, dir)
	if music.Customers != mc || music.Invoices != mrows || music.Net != mrials || music.Paid != mrials {
		t.Errorf("music: %d customers, %d invoices, %d rials invoiced, %d paid; want %d, %d, %d, %d", music.Customers, music.Invoices,
			music.Net, music.Paid, mc, mrows, mrials, mrials)
	}

	tel := totals(t, env.DB, byslug["telecom"].Tenant)
	tcust, ti, tcents, tchurn := telecomSliceTotal(t, dir)
	if tel.Customers != tcust || tel.Contracts != tcust || tel.Invoices != ti || tel.Net != tcents || tel.Paid != tcents || tel.Churned != tchurn {
		t.Errorf("telecom: %d customers, %d contracts (%d churned), %d invoices, %d cents invoiced, %d paid; want %d, %d (%d), %d, %d, %d",
			tel.Customers, tel.Contracts, tel.Churned, tel.Invoices, tel.Net, tel.Paid, tcust, tcust, tchurn, ti, tcents, tcents)
	}
	// Churn = Yes customers left: inactive, each with its churned contract;
	// the others are active.
	var inactive, inactiveChurned, active int
	telCtx := tenanttest.Ctx(byslug["telecom"].Tenant)
	if err := tenant.ReadTx(telCtx, env.DB, func(tx *sqlx.Tx) error {
		return tx.QueryRowxContext(telCtx, `select count(*) filter (where c.status = 'inactive'),
			count(*) filter (where c.status = 'inactive' and k.churned), count(*) filter (where c.status = 'active' and not k.churned)
			from customers c join contracts k on k.customer_id = c.id`).Scan(&inactive, &inactiveChurned, &active)
	}); err != nil {
		t.Fatal(err)
	}
	if inactive != tchurn || inactiveChurned != tchurn || active != tcust-tchurn {
		t.Errorf("telecom: %d inactive (%d with a churned contract), %d active; want the %d churned inactive and the other %d active",
			inactive, inactiveChurned, active, tchurn, tcust-tchurn)
	}

	checkPeople(t, env, accounts, sum)
	checkAPI(t, env, sum)

	// A second run duplicates nothing, and rotates every password.
	sum2, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	users := &tenant.Users{DB: env.DB}
	for i, c := range sum.Credentials {
		if _, err := users.CheckPassword(ctx, c.Email, c.Password); err == nil {
			t.Errorf("%s: the first run's password still works after the second run", c.Email)
		}
		if n := sum2.Credentials[i]; n.Email != c.Email || n.Password == c.Password {
			t.Errorf("second run's credential %d: %s / same password %v", i, n.Email, n.Password == c.Password)
		} else if _, err := users.CheckPassword(ctx, n.Email, n.Password); err != nil {
			t.Errorf("%s: the new password does not sign in: %v", n.Email, err)
		}
	}
	for slug, before := range map[string]dbTotals{"online-retail": retail, "music-store": music, "telecom": tel} {
		tn, err := env.Registry.TenantBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		if after := totals(t, env.DB, tn); after != before {
			t.Errorf("%s after a second run: %+v, want %+v", slug, after, before)
		}
	}

	// --reset drops and recreates: new tenants, same data (people are
	// checked above; they cost an argon2id hash each).
	cfg.Reset, cfg.Accounts = true, nil
	sum3, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range sum3.Tenants {
		if ts.Tenant.ID == byslug[ts.Tenant.Slug].Tenant.ID {
			t.Errorf("%s: --reset kept the tenant", ts.Tenant.Slug)
		}
		want := map[string]dbTotals{"online-retail": retail, "music-store": music, "telecom": tel}[ts.Tenant.Slug]
		want.Owned = 0 // no people in this run, so no owners
		if got := totals(t, env.DB, ts.Tenant); got != want {
			t.Errorf("%s after --reset: %+v, want %+v", ts.Tenant.Slug, got, want)
		}
	}
	ts, _ := env.Registry.Tenants(ctx, nil)
	if len(ts) != 3 {
		t.Errorf("%d tenants after --reset, want 3", len(ts))
	}
}

func TestDemoNamesTheFlagWhenDataIsMissing(t *testing.T) {
	err := CheckData(t.TempDir(), Tenants)
	if err == nil || !strings.Contains(err.Error(), "--data") {
		t.Fatalf("err = %v, want one naming --data", err)
	}
}

// checkPeople: the printed sign-ins work, each tenant user has exactly
// their role there and is a member of no other demo tenant.
func checkPeople(t *testing.T, env *tenanttest.Env, accounts ControlPlane, sum *Summary) {
	t.Helper()
	ctx := context.Background()
	if len(sum.Credentials) != 2+3*len(Roles) {
		t.Fatalf("%d sign-ins, want %d", len(sum.Credentials), 2+3*len(Roles))
	}
	for _, c := range sum.Credentials {
		u, err := accounts.Users.CheckPassword(ctx, c.Email, c.Password)
		if err != nil {
			t.Errorf("%s cannot sign in with the printed password: %v", c.Email, err)
			continue
		}
		for _, ts := range sum.Tenants {
			roles, _, err := accounts.Authz.RolesOf(ctx, ts.Tenant.ID, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			mine := strings.HasPrefix(c.Who, ts.Tenant.Slug+" ")
			switch {
			case mine && (len(roles) != 1 || !strings.HasSuffix(c.Who, " "+roles[0])):
				t.Errorf("%s in %s: roles %v, want the one in %q", c.Email, ts.Tenant.Slug, roles, c.Who)
			case !mine && len(roles) != 0:
				t.Errorf("%s has roles %v in %s", c.Email, roles, ts.Tenant.Slug)
			}
		}
	}
	var hashes int
	if err := env.DB.GetContext(ctx, &hashes, `select count(*) from control.users where password_hash like '$argon2id$%'`); err != nil {
		t.Fatal(err)
	}
	if hashes != len(sum.Credentials) {
		t.Errorf("%d argon2id hashes stored, want %d", hashes, len(sum.Credentials))
	}
}

func quietLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// apiRedisDB is this package's Redis database (sign-in rate limits here).
const apiRedisDB = 9

// checkAPI signs in through the real HTTP API with every printed sign-in
// and lists customers in each demo tenant: a member gets 200 and customers
// (owned ones for an own-records role), anyone else the 404 of an unknown
// tenant.
func checkAPI(t *testing.T, env *tenanttest.Env, sum *Summary) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: apiRedisDB})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis is not reachable on 127.0.0.1:6379 (run deploy/local/services.sh or `make services`): %v", err)
	}
	srv := web.New(web.Config{KeyPrefix: "demotest:" + core.NewID().String() + ":"}, web.Deps{DB: env.DB, Registry: env.Registry, Redis: rdb, Log: quietLog(t)})
	do := func(method, path, token, tenantSlug, body string) (int, []byte) {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if tenantSlug != "" {
			req.Header.Set("X-Tenant", tenantSlug)
		}
		resp, err := srv.App().Test(req, 30_000)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, c := range sum.Credentials {
		body, _ := json.Marshal(map[string]string{"email": c.Email, "password": c.Password})
		code, b := do("POST", "/api/v1/auth/login", "", "", string(body))
		var login struct {
			Token string `json:"token"`
		}
		if code != 200 || json.Unmarshal(b, &login) != nil || login.Token == "" {
			t.Errorf("%s: sign-in answered %d %s", c.Email, code, b)
			continue
		}
		for _, ts := range sum.Tenants {
			code, b := do("GET", "/api/v1/customers?limit=5", login.Token, ts.Tenant.Slug, "")
			member := strings.HasPrefix(c.Who, ts.Tenant.Slug+" ")
			var page struct {
				Items []json.RawMessage `json:"items"`
			}
			switch {
			case member && (code != 200 || json.Unmarshal(b, &page) != nil || len(page.Items) == 0):
				t.Errorf("%s (%s): customers of %s answered %d %.200s, want 200 with customers", c.Email, c.Who, ts.Tenant.Slug, code, b)
			case !member && code != 404:
				t.Errorf("%s (%s): customers of %s answered %d, want 404", c.Email, c.Who, ts.Tenant.Slug, code)
			}
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
