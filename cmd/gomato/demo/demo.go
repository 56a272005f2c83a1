package demo

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// AgencySlug and AgencyName name the demo's agency.
const (
	AgencySlug = "demo-agency"
	AgencyName = "Demo Agency"
)

// marker is the settings key a tenant's demo batch is recorded under.
const marker = "demo.dataset"

// TenantSpec is one demo tenant and the dataset it is built from.
type TenantSpec struct {
	Slug, Name                 string
	Locale, Currency, TimeZone string
	File                       string
	Read                       func(path string, opt Options) (*Dataset, error)
	// EmailDomain is where its users' addresses live (reserved example
	// domains: nothing is ever delivered there).
	EmailDomain string
}

// Tenants are the three demo tenants.
var Tenants = []TenantSpec{
	{Slug: "online-retail", Name: "Online Retailer", Locale: "en", Currency: "GBP", TimeZone: "Europe/London",
		File: RetailFile, Read: ReadRetail, EmailDomain: "retail.example.com"},
	{Slug: "music-store", Name: "فروشگاه موسیقی نوا", Locale: "fa", Currency: "IRR", TimeZone: "Asia/Tehran",
		File: MusicFile, Read: ReadMusic, EmailDomain: "music.example.com"},
	{Slug: "telecom", Name: "Telecom", Locale: "en", Currency: "USD", TimeZone: "America/Los_Angeles",
		File: TelecomFile, Read: ReadTelecom, EmailDomain: "telecom.example.com"},
}

// Roles are the per-tenant roles that get a demo user each (DESIGN §4).
var Roles = []string{"tenant_admin", "manager", "sales", "support"}

// Accounts creates the demo's people: the control plane's user store and
// role administration.
type Accounts interface {
	// EnsureUser creates the user, or gives an existing one (same email)
	// the new password; the password is stored only as a hash.
	EnsureUser(ctx context.Context, email, name, locale, password string) (uuid.UUID, error)
	SetOperator(ctx context.Context, userID uuid.UUID) error
	AddAgencyAdmin(ctx context.Context, agencyID, userID uuid.UUID) error
	// Grant makes the user a member of the tenant with the role.
	Grant(ctx context.Context, tenantID, userID uuid.UUID, role string) error
}

// Scoring asks the worker for a scoring run of the context's tenant
// through the real queue and waits for it to finish.
type Scoring interface {
	ScoreAndWait(ctx context.Context) (RunReport, error)
}

// RunReport is what a finished scoring run recorded.
type RunReport struct {
	Status      string
	Error       string
	Scored      int
	Alerts      int
	Model       json.RawMessage
	BacktestAUC *float64
	Took        time.Duration
}

// Config is what Run needs.
type Config struct {
	DB       *sqlx.DB
	Registry *tenant.Registry
	Accounts Accounts // nil: no users are created
	Scoring  Scoring  // nil: no scoring is requested
	DataDir  string
	Reset    bool
	// Now is the demo's clock (time.Now when nil); each tenant's "today"
	// is its calendar day in the tenant's time zone.
	Now func() time.Time
	// Limit loads only the first Limit customers of each dataset (tests).
	Limit int
	// Tenants overrides the tenants to build (default Tenants).
	Tenants []TenantSpec
	// SlugSuffix is appended to every tenant and agency slug (tests).
	SlugSuffix string
	Out        io.Writer
}

// Credential is a sign-in printed at the end of a run.
type Credential struct {
	Who, Email, Password string
}

// TenantSummary is one tenant's state after the run.
type TenantSummary struct {
	Tenant                          core.Tenant
	Loaded                          bool // false when the batch was already there
	Stats                           Stats
	Customers, Invoices, Payments   int
	Contracts, Tickets              int
	Scored, HighRisk, RescueTasks   int
	Run                             *RunReport
	Credentials                     []Credential
	ReadTook, LoadTook, ScoringTook time.Duration
}

// Summary is what Run did.
type Summary struct {
	Tenants     []TenantSummary
	Credentials []Credential
	Took        time.Duration
	// Failed is set when a step failed (the error is Run's).
	Failed bool
}

type printer struct {
	mu sync.Mutex
	w  io.Writer
	t0 time.Time
}

func (p *printer) step(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", time.Since(p.t0).Seconds(), fmt.Sprintf(format, args...))
}

// CheckData reports a missing dataset, naming the flag that points at it.
func CheckData(dir string, specs []TenantSpec) error {
	for _, s := range specs {
		p := filepath.Join(dir, s.File)
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("dataset %s not found in %q (set --data to the repository's testdata directory): %w", s.File, dir, err)
		}
	}
	return nil
}

// Run builds the demo: the agency, each tenant with its users and its
// dataset (loaded once: a second run finds the marker and loads nothing;
// Reset drops and recreates the tenants), then a scoring run per tenant
// through the queue, and prints a summary with the sign-ins.
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	specs := cfg.Tenants
	if specs == nil {
		specs = Tenants
	}
	out := cfg.Out
	if out == nil {
		out = io.Discard
	}
	p := &printer{w: out, t0: time.Now()}
	if err := CheckData(cfg.DataDir, specs); err != nil {
		return nil, err
	}
	reg := cfg.Registry
	sum := &Summary{}

	agency, err := reg.AgencyBySlug(ctx, AgencySlug+cfg.SlugSuffix)
	if core.ErrorCode(err) == core.CodeNotFound {
		agency, err = reg.CreateAgency(ctx, AgencySlug+cfg.SlugSuffix, AgencyName)
		if err == nil {
			p.step("agency %q created", AgencyName)
		}
	} else if err == nil {
		p.step("agency %q exists", AgencyName)
	}
	if err != nil {
		return nil, fmt.Errorf("agency: %w", err)
	}

	// Installation-wide people first.
	if cfg.Accounts != nil {
		op, err := ensure(ctx, cfg.Accounts, &sum.Credentials, "platform operator", "operator@demo.example.com", "Platform Operator", "en")
		if err != nil {
			return nil, err
		}
		if err := cfg.Accounts.SetOperator(ctx, op); err != nil {
			return nil, fmt.Errorf("operator: %w", err)
		}
		aa, err := ensure(ctx, cfg.Accounts, &sum.Credentials, "agency admin ("+AgencyName+")", "agency-admin@demo.example.com", "Agency Admin", "en")
		if err != nil {
			return nil, err
		}
		if err := cfg.Accounts.AddAgencyAdmin(ctx, agency.ID, aa); err != nil {
			return nil, fmt.Errorf("agency admin: %w", err)
		}
	}

	// Each tenant in its own goroutine: provision, people, dataset in one
	// bulk batch, then its scoring run through the queue. On two cores the
	// loads overlap the reading of the next file and the scoring of the
	// tenants already loaded.
	sum.Tenants = make([]TenantSummary, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = buildTenant(ctx, cfg, p, spec, &sum.Tenants[i], now)
		}()
	}
	wg.Wait()
	for i := range sum.Tenants {
		sum.Credentials = append(sum.Credentials, sum.Tenants[i].Credentials...)
		if sum.Tenants[i].Tenant.Schema != "" {
			if err := counts(ctx, cfg.DB, &sum.Tenants[i]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	sum.Took = time.Since(p.t0)
	err = errors.Join(errs...)
	sum.Failed = err != nil
	return sum, err
}

func buildTenant(ctx context.Context, cfg Config, p *printer, spec TenantSpec, ts *TenantSummary, now func() time.Time) error {
	reg := cfg.Registry
	slug := spec.Slug + cfg.SlugSuffix
	if cfg.Reset {
		if _, err := reg.TenantBySlug(ctx, slug); err == nil {
			if err := reg.DropTenant(ctx, slug); err != nil {
				return fmt.Errorf("reset %s: %w", slug, err)
			}
			p.step("%s: dropped (--reset)", slug)
		}
	}
	tn, err := reg.TenantBySlug(ctx, slug)
	if core.ErrorCode(err) == core.CodeNotFound {
		tn, err = reg.CreateTenant(ctx, tenant.NewTenant{Slug: slug, Name: spec.Name, Locale: spec.Locale,
			Currency: spec.Currency, TimeZone: spec.TimeZone, AgencySlug: AgencySlug + cfg.SlugSuffix})
		if err == nil {
			p.step("%s: tenant created (schema %s, %s, %s, %s)", slug, tn.Schema, tn.Locale, tn.Currency, tn.TimeZone)
		}
	}
	if err != nil {
		return fmt.Errorf("tenant %s: %w", slug, err)
	}
	ts.Tenant = tn
	tctx := core.WithActor(core.WithTenant(ctx, tn), core.SystemActor)

	var owners []uuid.UUID
	if cfg.Accounts != nil {
		ids := map[string]uuid.UUID{}
		for _, role := range Roles {
			who := fmt.Sprintf("%s — %s", slug, role)
			email := strings.ReplaceAll(role, "_", "-") + cfg.SlugSuffix + "@" + spec.EmailDomain
			id, err := ensure(ctx, cfg.Accounts, &ts.Credentials, who, email, roleTitle(role, spec.Locale), spec.Locale)
			if err != nil {
				return err
			}
			if err := cfg.Accounts.Grant(ctx, tn.ID, id, role); err != nil {
				return fmt.Errorf("%s: grant %s: %w", slug, role, err)
			}
			ids[role] = id
		}
		owners = []uuid.UUID{ids["sales"], ids["manager"]}
		p.step("%s: users %s (passwords rotated)", slug, strings.Join(Roles, ", "))
	}

	st := store.New(cfg.DB)
	_, found, err := st.BulkMarker(tctx, marker)
	if err != nil {
		return err
	}
	if found {
		p.step("%s: dataset already loaded; nothing duplicated (use --reset to reload)", slug)
	} else if err := loadTenant(tctx, cfg, p, spec, ts, now, owners); err != nil {
		return err
	}

	if cfg.Scoring != nil {
		p.step("%s: scoring run requested", slug)
		t0 := time.Now()
		rep, err := cfg.Scoring.ScoreAndWait(tctx)
		ts.ScoringTook = time.Since(t0)
		if err != nil {
			return fmt.Errorf("%s: scoring: %w", slug, err)
		}
		ts.Run = &rep
		if rep.Status != "done" {
			return fmt.Errorf("%s: scoring run %s: %s", slug, rep.Status, rep.Error)
		}
		p.step("%s: scored %d customers in %s (worker: %s), %d rescue alerts", slug, rep.Scored, ts.ScoringTook.Round(time.Millisecond),
			rep.Took.Round(time.Millisecond), rep.Alerts)
	}
	return nil
}

func loadTenant(tctx context.Context, cfg Config, p *printer, spec TenantSpec, ts *TenantSummary, now func() time.Time, owners []uuid.UUID) error {
	slug := ts.Tenant.Slug
	loc, err := time.LoadLocation(ts.Tenant.TimeZone)
	if err != nil {
		return err
	}
	today := dayOf(now().In(loc))
	t0 := time.Now()
	ds, err := spec.Read(filepath.Join(cfg.DataDir, spec.File), Options{Today: today, Limit: cfg.Limit})
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", slug, spec.File, err)
	}
	ts.ReadTook = time.Since(t0)
	ts.Stats = ds.Stats
	p.step("%s: read %s in %s: %s", slug, spec.File, ts.ReadTook.Round(time.Millisecond), describeStats(ds.Stats))
	assignOwners(ds.Bulk, owners)
	ds.Bulk.Marker = marker
	ds.Bulk.MarkerValue = map[string]any{"file": spec.File, "loaded_at": now().UTC().Format(time.RFC3339), "shift_days": ds.Stats.ShiftDays, "limit": cfg.Limit}
	res, err := store.New(cfg.DB).BulkLoad(tctx, ds.Bulk)
	if errors.Is(err, store.ErrBulkLoaded) {
		p.step("%s: dataset already loaded by another run", slug)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: load: %w", slug, err)
	}
	ts.Loaded = true
	ts.LoadTook = res.Duration
	total := 0
	for _, n := range res.Rows {
		total += n
	}
	p.step("%s: loaded %d rows by COPY in %s (%s)", slug, total, res.Duration.Round(time.Millisecond), rowsText(res.Rows))
	return nil
}

func ensure(ctx context.Context, a Accounts, creds *[]Credential, who, email, name, locale string) (uuid.UUID, error) {
	pw := NewPassword()
	id, err := a.EnsureUser(ctx, email, name, locale, pw)
	if err != nil {
		return uuid.Nil, fmt.Errorf("user %s: %w", email, err)
	}
	*creds = append(*creds, Credential{Who: who, Email: email, Password: pw})
	return id, nil
}

// NewPassword returns 20 random characters from an alphabet without
// look-alikes (about 110 bits).
func NewPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	// Bytes at or above the largest multiple of the alphabet's size are
	// drawn again, so every character is equally likely.
	const limit = 256 - 256%len(alphabet)
	out := make([]byte, 0, 20)
	buf := make([]byte, 32)
	for len(out) < 20 {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		for _, c := range buf {
			if int(c) < limit && len(out) < 20 {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}

func roleTitle(role, locale string) string {
	if locale == "fa" {
		return map[string]string{"tenant_admin": "مدیر سامانه", "manager": "مدیر فروش", "sales": "کارشناس فروش", "support": "کارشناس پشتیبانی"}[role]
	}
	return map[string]string{"tenant_admin": "Tenant Admin", "manager": "Sales Manager", "sales": "Sales Rep", "support": "Support Agent"}[role]
}

// assignOwners gives each customer an owner from owners, chosen by a hash
// of the customer's external ref so that the split is stable across runs.
func assignOwners(b *store.Bulk, owners []uuid.UUID) {
	if len(owners) == 0 {
		return
	}
	for i := range b.Customers {
		c := &b.Customers[i]
		c.OwnerID = uuid.NullUUID{UUID: owners[pick(len(owners), "owner", c.ExternalRef)], Valid: true}
	}
}

func describeStats(st Stats) string {
	parts := []string{fmt.Sprintf("%d customers", st.Customers), fmt.Sprintf("%d invoices", st.Invoices)}
	for _, x := range []struct {
		n    int
		what string
	}{{st.CreditNotes, "credit notes"}, {st.Lines, "invoice lines"}, {st.Payments, "payments"}, {st.Contracts, "contracts"}, {st.Churned, "churned"}, {st.Tickets, "tickets"}} {
		if x.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", x.n, x.what))
		}
	}
	if st.ShiftDays != 0 {
		parts = append(parts, fmt.Sprintf("dates shifted by %d days", st.ShiftDays))
	}
	if st.DroppedLines > 0 {
		parts = append(parts, fmt.Sprintf("%d lines without a customer dropped (%s)", st.DroppedLines, money(st.DroppedTotal, st.Currency)))
	}
	if st.Rounded > 0 {
		parts = append(parts, fmt.Sprintf("%d amounts rounded half-even", st.Rounded))
	}
	if st.CreditNotes > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d credit notes linked to their invoice", st.CreditNotesLinked, st.CreditNotes))
	}
	if st.Mismatched > 0 {
		parts = append(parts, fmt.Sprintf("%d rows whose TotalCharges differs from tenure × MonthlyCharges by > 5 %%", st.Mismatched))
	}
	if st.Referrals > 0 {
		parts = append(parts, fmt.Sprintf("%d generated referrals, %d rewards", st.Referrals, st.Rewards))
	}
	parts = append(parts, "net "+money(st.KeptTotal, st.Currency))
	return strings.Join(parts, ", ")
}

func money(v int64, cur string) string {
	exp, _ := core.CurrencyExponent(cur)
	return core.FormatDecimal(v, exp) + " " + cur
}

func rowsText(rows map[string]int) string {
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, rows[k])
	}
	return strings.Join(parts, ", ")
}

// counts reads the tenant's figures for the summary.
func counts(ctx context.Context, db *sqlx.DB, ts *TenantSummary) error {
	tctx := core.WithActor(core.WithTenant(ctx, ts.Tenant), core.SystemActor)
	return tenant.ReadTx(tctx, db, func(tx *sqlx.Tx) error {
		return tx.QueryRowxContext(tctx, `select
			(select count(*) from customers),
			(select count(*) from invoices),
			(select count(*) from payments),
			(select count(*) from contracts),
			(select count(*) from tickets),
			(select count(*) from scores),
			(select count(*) from scores where risk_level = 'high'),
			(select count(*) from tasks where source = 'rescue_alert')`).
			Scan(&ts.Customers, &ts.Invoices, &ts.Payments, &ts.Contracts, &ts.Tickets, &ts.Scored, &ts.HighRisk, &ts.RescueTasks)
	})
}

// Print writes the summary table, each tenant's model fit and the
// sign-ins.
func (s *Summary) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tenant\tcustomers\tinvoices\tpayments\tcontracts\ttickets\tscored\thigh risk\trescue tasks\t")
	var tot [8]int
	for _, t := range s.Tenants {
		v := [8]int{t.Customers, t.Invoices, t.Payments, t.Contracts, t.Tickets, t.Scored, t.HighRisk, t.RescueTasks}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", t.Tenant.Slug, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
		for i := range v {
			tot[i] += v[i]
		}
	}
	fmt.Fprintf(tw, "%d tenants\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", len(s.Tenants), tot[0], tot[1], tot[2], tot[3], tot[4], tot[5], tot[6], tot[7])
	tw.Flush()
	for _, t := range s.Tenants {
		if t.Run == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", t.Tenant.Slug, describeModel(t.Run))
	}
	if len(s.Credentials) > 0 {
		fmt.Fprintln(w, "\nSign in at /login with (passwords are new on every run and shown only here):")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range s.Credentials {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Who, c.Email, c.Password)
		}
		tw.Flush()
	}
	if s.Failed {
		fmt.Fprintf(w, "\nDemo FAILED after %s (see the error below).\n", s.Took.Round(100*time.Millisecond))
	} else {
		fmt.Fprintf(w, "\nDemo ready in %s.\n", s.Took.Round(100*time.Millisecond))
	}
}

// describeModel renders the fit a scoring run recorded: the churn model
// chosen, the BG/NBD and MBG/NBD parameters (weekly units), Gamma-Gamma,
// the contract model's cross-validated AUC and the backtest AUC.
func describeModel(r *RunReport) string {
	if r.Status != "done" {
		return fmt.Sprintf("scoring run %s: %s", r.Status, r.Error)
	}
	var m struct {
		Churn string `json:"churn_model"`
		Unit  string `json:"unit"`
		BG    *struct {
			R, Alpha, A, B float64
			LogLik         float64 `json:"log_lik"`
		} `json:"bg_nbd"`
		MBG *struct {
			R, Alpha, A, B float64
			LogLik         float64 `json:"log_lik"`
		} `json:"mbg_nbd"`
		GG *struct {
			P, Q, Gamma float64
		} `json:"gamma_gamma"`
		Contract *struct {
			CVAUC   float64 `json:"cv_auc"`
			Lambda  float64 `json:"lambda"`
			Train   int     `json:"train"`
			Churned int     `json:"churned"`
		} `json:"contract_churn"`
		Transaction *struct {
			BacktestAUC float64 `json:"backtest_auc"`
			Default     bool    `json:"default_weights"`
			Why         string  `json:"why"`
		} `json:"transaction_churn"`
	}
	if err := json.Unmarshal(r.Model, &m); err != nil {
		return string(r.Model)
	}
	parts := []string{"churn model " + m.Churn}
	if m.BG != nil {
		parts = append(parts, fmt.Sprintf("BG/NBD r=%.4g α=%.4g a=%.4g b=%.4g (LL %.1f, %s)", m.BG.R, m.BG.Alpha, m.BG.A, m.BG.B, m.BG.LogLik, m.Unit))
	}
	if m.MBG != nil {
		parts = append(parts, fmt.Sprintf("MBG/NBD r=%.4g α=%.4g a=%.4g b=%.4g (LL %.1f)", m.MBG.R, m.MBG.Alpha, m.MBG.A, m.MBG.B, m.MBG.LogLik))
	}
	if m.GG != nil {
		parts = append(parts, fmt.Sprintf("Gamma-Gamma p=%.4g q=%.4g γ=%.4g", m.GG.P, m.GG.Q, m.GG.Gamma))
	}
	if m.Contract != nil {
		parts = append(parts, fmt.Sprintf("contract model CV AUC %.3f (λ=%g, %d contracts, %d churned)", m.Contract.CVAUC, m.Contract.Lambda, m.Contract.Train, m.Contract.Churned))
	}
	if m.Transaction != nil {
		if m.Transaction.Default {
			parts = append(parts, "transaction churn: default weights ("+m.Transaction.Why+")")
		} else {
			parts = append(parts, fmt.Sprintf("transaction churn backtest AUC %.3f", m.Transaction.BacktestAUC))
		}
	}
	if r.BacktestAUC != nil {
		parts = append(parts, fmt.Sprintf("run backtest AUC %.3f", *r.BacktestAUC))
	}
	return strings.Join(parts, "; ")
}
