package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/migrations"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/web"
)

// cmdBench is the load generator of DESIGN §9: it generates a tenant of
// customers (idempotently, by COPY inside the scoped transaction) and
// measures the customer list and the profile over HTTP against the
// baseline — the same store calls, so the same SQL in the same scoped
// transaction through lib/pq, without HTTP, auth or JSON.
func cmdBench(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "bench", "bench [flags]\n\nGenerates the bench tenant (once) and measures the customer list (status + group filter,\npage of 50) and the 360 profile: p50/p99 at a fixed open-loop rate, throughput with\nclosed-loop clients, and the baseline SQL. Loopback only.")
	slug := fs.String("tenant", "bench", "slug of the bench tenant (created when missing)")
	customers := fs.Int("customers", 200000, "customers to generate")
	batch := fs.Int("batch", 20000, "customers per COPY batch (each batch is one transaction, loaded once)")
	dur := fs.Duration("duration", 20*time.Second, "measuring time of each phase")
	rate := fs.Int("rate", 300, "open-loop request rate per second")
	clients := fs.Int("clients", 64, "closed-loop clients")
	target := fs.String("url", "", "base URL of a running gomato serve on loopback (default: an in-process server on 127.0.0.1:0)")
	only := fs.String("only", "", "measure only one of list, list-clv, list-risk (the list sorted by CLV / risk, once scores exist) or profile")
	genOnly := fs.Bool("generate-only", false, "generate the data and stop")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measuring phases to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	out := env.stdout

	tn, err := a.registry.TenantBySlug(ctx, *slug)
	if core.ErrorCode(err) == core.CodeNotFound {
		tn, err = a.registry.CreateTenant(ctx, tenant.NewTenant{Slug: *slug, Name: "Bench", Locale: "fa", Currency: "IRR", TimeZone: "Asia/Tehran"})
	}
	if err != nil {
		return fmt.Errorf("bench tenant: %w", err)
	}
	st := store.New(a.db)
	sysCtx := core.WithActor(core.WithTenant(ctx, tn), core.SystemActor)
	t0 := time.Now()
	loaded, err := benchGenerate(sysCtx, st, *customers, *batch, out)
	if err != nil {
		return err
	}
	{
		// VACUUM cannot run in a transaction, so not in a scoped one:
		// it is maintenance on the bench tenant's own tables, named with
		// their schema. It clears what loads and scoring runs left behind
		// and sets the visibility map that lets the list be answered from
		// its index, as autovacuum would in time (it may be off, as on
		// the machine these figures come from): the steady state.
		for _, table := range []string{"customers", "customer_groups", "customer_specialties", "contacts", "groups", "specialties", "scores"} {
			if _, err := a.db.ExecContext(ctx, `vacuum (analyze) `+pq.QuoteIdentifier(tn.Schema)+`.`+pq.QuoteIdentifier(table)); err != nil {
				return fmt.Errorf("vacuum %s: %w", table, err)
			}
		}
	}
	fmt.Fprintf(out, "data: %d customers in tenant %s (%d loaded now in %s)\n", benchCount(sysCtx, a.db, "customers"), tn.Slug, loaded, time.Since(t0).Round(time.Millisecond))
	if *genOnly {
		return nil
	}

	// The bench user: a manager of the tenant with an API token.
	users := &tenant.Users{DB: a.db}
	u, err := users.ByEmail(ctx, "bench@gomato.invalid")
	if core.ErrorCode(err) == core.CodeNotFound {
		u, err = users.Create(ctx, tenant.NewUser{Email: "bench@gomato.invalid", Name: "Bench"})
	}
	if err != nil {
		return fmt.Errorf("bench user: %w", err)
	}
	az := authz.New(a.db, a.log)
	if err := az.AddMember(ctx, tn.ID, u.ID); err != nil && core.ErrorCode(err) != core.CodeConflict {
		return fmt.Errorf("bench membership: %w", err)
	}
	if err := az.Grant(ctx, tn.ID, u.ID, authz.RoleManager); err != nil && core.ErrorCode(err) != core.CodeConflict {
		return fmt.Errorf("bench grant: %w", err)
	}
	token, _, err := users.CreateToken(ctx, tn.ID, u.ID, "bench "+time.Now().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("bench token: %w", err)
	}

	base := *target
	if base == "" {
		rdb := redis.NewClient(&redis.Options{Addr: a.cfg.RedisAddr, DB: a.cfg.RedisDB})
		defer rdb.Close()
		srv := web.New(web.Config{ControlVersion: tenant.Latest(migrations.Control)},
			web.Deps{DB: a.db, Registry: a.registry, Redis: rdb, Log: a.log, Users: users, Audit: &tenant.Audit{DB: a.db}, Authz: az})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		go func() { _ = srv.App().Listener(ln) }()
		defer srv.App().Shutdown()
		base = "http://" + ln.Addr().String()
	}
	if u, err := url.Parse(base); err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		return fmt.Errorf("--url must be on loopback, got %q", base)
	}

	// What is measured: the list filtered by status and one of the five
	// largest groups, first page of 50; the profile of random customers.
	actorCtx := core.WithActor(core.WithTenant(ctx, tn), u.Actor())
	groups, err := st.Groups(sysCtx)
	if err != nil {
		return err
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Customers > groups[j].Customers })
	groups = groups[:min(5, len(groups))]
	var ids []uuid.UUID
	if err := tenant.ReadTx(sysCtx, a.db, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &ids, `select id from customers tablesample system (2) limit 2000`)
	}); err != nil {
		return err
	}
	if len(groups) == 0 || len(ids) == 0 {
		return errors.New("no data to measure")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}
	get := func(path string) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Tenant", tn.Slug)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET %s: %d", path, resp.StatusCode)
		}
		return nil
	}
	type subject struct {
		name     string
		http     func(i int) error
		baseline func(i int) error
	}
	subjects := []subject{
		{"list", func(i int) error {
			return get("/api/v1/customers?status=active&group=" + groups[i%len(groups)].ID.String() + "&limit=50")
		}, func(i int) error {
			p, err := st.Customers(actorCtx, core.CustomerFilter{Status: []core.CustomerStatus{core.CustomerActive}, GroupIDs: []uuid.UUID{groups[i%len(groups)].ID}, Limit: 50})
			if err == nil && len(p.Items) != 50 {
				err = fmt.Errorf("list page of %d, want 50", len(p.Items))
			}
			return err
		}},
		{"list-clv", func(i int) error {
			return get("/api/v1/customers?status=active&group=" + groups[i%len(groups)].ID.String() + "&sort=-clv&limit=50")
		}, func(i int) error {
			return scoreSorted(st.Customers(actorCtx, core.CustomerFilter{Status: []core.CustomerStatus{core.CustomerActive}, GroupIDs: []uuid.UUID{groups[i%len(groups)].ID}, Sort: "-clv", Limit: 50}))
		}},
		{"list-risk", func(i int) error {
			return get("/api/v1/customers?status=active&group=" + groups[i%len(groups)].ID.String() + "&sort=-risk&limit=50")
		}, func(i int) error {
			return scoreSorted(st.Customers(actorCtx, core.CustomerFilter{Status: []core.CustomerStatus{core.CustomerActive}, GroupIDs: []uuid.UUID{groups[i%len(groups)].ID}, Sort: "-risk", Limit: 50}))
		}},
		{"profile", func(i int) error {
			return get("/api/v1/customers/" + ids[i%len(ids)].String() + "/profile")
		}, func(i int) error {
			_, err := st.Profile(actorCtx, ids[i%len(ids)])
			return err
		}},
	}
	// The score sorts are measured once the tenant has scores
	// (`gomato bench-finance`, then a scoring run).
	var scored int
	if err := tenant.ReadTx(sysCtx, a.db, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &scored, `select count(*) from scores`)
	}); err != nil {
		return err
	}
	if scored == 0 {
		fmt.Fprintln(out, "no scores yet: list-clv and list-risk are skipped (run `gomato bench-finance` and `gomato score --tenant "+tn.Slug+" --wait` with a worker)")
		subjects = slices.DeleteFunc(subjects, func(s subject) bool { return strings.HasPrefix(s.name, "list-") })
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Fprintf(out, "\nload model: open loop %d req/s and closed loop %d clients, %s each, after a 3 s warm-up; baseline = the store call (same SQL, same scoped transaction, lib/pq), no HTTP/auth/JSON\n\n", *rate, *clients, *dur)
	fmt.Fprintln(out, "| what | path | p50 @ open loop | p99 @ open loop | achieved rate | errors | throughput @ closed loop | p50 / p99 @ closed loop | CPU per request @ closed loop: bench process + Postgres |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|")
	for _, s := range subjects {
		if *only != "" && *only != s.name {
			continue
		}
		for _, path := range []struct {
			name string
			fn   func(int) error
		}{{"HTTP", s.http}, {"baseline", s.baseline}} {
			closedLoop(ctx, 8, 3*time.Second, path.fn) // warm-up
			o := openLoop(ctx, *rate, *dur, path.fn)
			settle(ctx, path.fn)
			cpu0 := sampleCPU(ctx, a.db)
			c := closedLoop(ctx, *clients, *dur, path.fn)
			cpuGo, cpuPG := sampleCPU(ctx, a.db).perRequest(cpu0, len(c.lat)+c.errors)
			settle(ctx, path.fn)
			fmt.Fprintf(out, "| %s | %s | %s | %s | %.0f/s | %d | %.0f req/s | %s / %s | %.2f + %.2f ms |\n", s.name, path.name,
				ms(o.quantile(0.5)), ms(o.quantile(0.99)), o.rate(), o.errors+c.errors, c.rate(), ms(c.quantile(0.5)), ms(c.quantile(0.99)),
				cpuGo.Seconds()*1000, cpuPG.Seconds()*1000)
			if o.firstErr != nil || c.firstErr != nil {
				fmt.Fprintf(out, "  first error: %v %v\n", o.firstErr, c.firstErr)
			}
		}
	}
	return nil
}

// cpuSample is the CPU time used so far by this process (load generator
// and, unless --url, the server) and by each Postgres backend serving the
// bench's database — the server is on loopback, so /proc shows them.
type cpuSample struct {
	self     time.Duration
	backends map[int]time.Duration
}

func sampleCPU(ctx context.Context, db *sqlx.DB) cpuSample {
	s := cpuSample{backends: map[int]time.Duration{}}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var pids []int
	_ = db.SelectContext(ctx, &pids, `select pid from pg_stat_activity where datname = current_database()`)
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime stime (fields 14 and 15); comm
		// may hold spaces, so count from its closing parenthesis.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		s.backends[pid] = time.Duration(ut+st) * (time.Second / 100) // USER_HZ is 100 on Linux
	}
	return s
}

// perRequest is the CPU used between b and a, per request: this process's
// and the Postgres backends' (one that ended in between is not counted).
func (a cpuSample) perRequest(b cpuSample, n int) (self, postgres time.Duration) {
	if n == 0 {
		return 0, 0
	}
	for pid, t := range a.backends {
		postgres += t - b.backends[pid]
	}
	return (a.self - b.self) / time.Duration(n), postgres / time.Duration(n)
}

// scoreSorted checks a page of the list sorted by a score: full, and
// led by a scored customer.
func scoreSorted(p core.CustomerPage, err error) error {
	if err != nil {
		return err
	}
	if len(p.Items) != 50 || p.Items[0].Score == nil {
		return fmt.Errorf("score-sorted page of %d, first scored: %t", len(p.Items), len(p.Items) > 0 && p.Items[0].Score != nil)
	}
	return nil
}

// settle waits (at most a minute) until a lone request is answered
// within 200 ms again: an overloaded open-loop phase leaves the server
// working through requests whose clients gave up, which would otherwise
// be charged to the next phase.
func settle(ctx context.Context, fn func(int) error) {
	deadline := time.Now().Add(time.Minute)
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		t0 := time.Now()
		if fn(i) == nil && time.Since(t0) < 200*time.Millisecond {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

// loadResult collects the latencies of one phase.
type loadResult struct {
	mu       sync.Mutex
	lat      []time.Duration
	errors   int
	firstErr error
	elapsed  time.Duration
}

func (r *loadResult) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.lat = append(r.lat, d)
}

func (r *loadResult) quantile(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	s := slices.Clone(r.lat)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func (r *loadResult) rate() float64 { return float64(len(r.lat)) / r.elapsed.Seconds() }

// openLoop starts requests on a fixed schedule whatever the answers'
// speed, and measures each from its scheduled start, so that a slow
// server cannot hide its queue (no coordinated omission).
func openLoop(ctx context.Context, rate int, dur time.Duration, fn func(int) error) *loadResult {
	r := &loadResult{}
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= dur {
			break
		}
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(i)
			r.add(time.Since(at), err)
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

// closedLoop runs clients that each send the next request when the last
// answered.
func closedLoop(ctx context.Context, clients int, dur time.Duration, fn func(int) error) *loadResult {
	r := &loadResult{}
	start := time.Now()
	deadline := start.Add(dur)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; time.Now().Before(deadline) && ctx.Err() == nil; i += clients {
				t0 := time.Now()
				err := fn(i)
				r.add(time.Since(t0), err)
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

func benchCount(ctx context.Context, db *sqlx.DB, table string) int {
	var n int
	_ = tenant.ReadTx(ctx, db, func(tx *sqlx.Tx) error { return tx.GetContext(ctx, &n, `select count(*) from `+table) })
	return n
}

var (
	benchPrefixes = []string{"کتاب‌فروشی", "فروشگاه", "شرکت", "بازرگانی", "صنایع", "گروه", "تعاونی", "کارگاه", "Acme", "Nova", "Pars", "Arya"}
	benchNames    = []string{"نیکان", "آریا", "پارس", "سپهر", "البرز", "کوروش", "مهر", "آفتاب", "ستاره", "دماوند", "Trading", "Systems", "Foods", "Textiles", "Logistics", "Digital"}
	benchCities   = [][2]string{{"تهران", "تهران"}, {"اصفهان", "اصفهان"}, {"کاشان", "اصفهان"}, {"مشهد", "خراسان رضوی"}, {"شیراز", "فارس"}, {"تبریز", "آذربایجان شرقی"}, {"کرج", "البرز"}, {"رشت", "گیلان"}, {"یزد", "یزد"}, {"اهواز", "خوزستان"}}
	benchFirst    = []string{"سارا", "علی", "مریم", "رضا", "زهرا", "محمد", "نگار", "حسین", "Anna", "David"}
	benchLast     = []string{"محمدی", "حسینی", "رضایی", "کریمی", "احمدی", "موسوی", "Smith", "Weber"}
	benchSpecs    = []string{"کتاب", "چاپ", "نوشت‌افزار", "آموزش", "فناوری", "نساجی", "غذا", "دارو", "ساختمان", "خودرو", "کشاورزی", "گردشگری", "Software", "Retail", "Export", "Energy"}
)

// benchGenerate loads the bench data in batches, each one transaction
// marked in the tenant's settings, so a rerun loads only what is missing.
func benchGenerate(ctx context.Context, st *store.Store, customers, batch int, out io.Writer) (int, error) {
	const marker = "bench:v1:"
	dims := &store.Bulk{Marker: marker + "dims", MarkerValue: true}
	for i := range 20 {
		dims.Groups = append(dims.Groups, store.BulkGroup{ID: core.NewID(), Name: fmt.Sprintf("گروه %02d", i+1), IsVIP: i < 2})
	}
	for _, s := range benchSpecs {
		dims.Specialties = append(dims.Specialties, store.BulkSpecialty{ID: core.NewID(), Name: s})
	}
	if _, err := st.BulkLoad(ctx, dims); err != nil && !errors.Is(err, store.ErrBulkLoaded) {
		return 0, fmt.Errorf("load groups and specialties: %w", err)
	}
	groups, err := st.Groups(ctx)
	if err != nil {
		return 0, err
	}
	specs, err := st.Specialties(ctx, "", 500)
	if err != nil {
		return 0, err
	}
	loaded := 0
	for b := 0; b*batch < customers; b++ {
		n := min(batch, customers-b*batch)
		key := fmt.Sprintf("%sbatch:%d:%d", marker, batch, b)
		if _, done, err := st.BulkMarker(ctx, key); err != nil {
			return loaded, err
		} else if done {
			continue
		}
		rng := rand.New(rand.NewPCG(uint64(b), 42))
		bk := &store.Bulk{Marker: key, MarkerValue: n}
		created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range n {
			id := core.NewID()
			city := benchCities[rng.IntN(len(benchCities))]
			status := "active"
			switch r := rng.IntN(10); {
			case r == 0:
				status = "legacy"
			case r < 3:
				status = "inactive"
			}
			seq := b*batch + i
			bk.Customers = append(bk.Customers, store.BulkCustomer{
				ID: id, Name: fmt.Sprintf("%s %s %d", benchPrefixes[rng.IntN(len(benchPrefixes))], benchNames[rng.IntN(len(benchNames))], seq),
				Email: fmt.Sprintf("c%d@example.com", seq), Phone: fmt.Sprintf("09%09d", rng.IntN(1_000_000_000)),
				Status: status, BillingCity: city[0], BillingProvince: city[1], BillingCountry: "IR",
				ValueAddedDeals: rng.IntN(5), CreatedAt: created.Add(time.Duration(seq) * 7 * time.Minute),
			})
			// Skewed group sizes: group k holds about 1/(k+1) of the
			// customers it could; everyone is in one or two groups.
			for _, g := range benchPick(rng, len(groups), 1+rng.IntN(2)) {
				bk.CustomerGroups = append(bk.CustomerGroups, store.BulkLink{CustomerID: id, OtherID: groups[g].ID})
			}
			for _, s := range benchPick(rng, len(specs), rng.IntN(4)) {
				bk.CustomerSpecialties = append(bk.CustomerSpecialties, store.BulkLink{CustomerID: id, OtherID: specs[s].ID})
			}
			for k := range 1 + rng.IntN(3) {
				bk.Contacts = append(bk.Contacts, store.BulkContact{ID: core.NewID(), CustomerID: id,
					FirstName: benchFirst[rng.IntN(len(benchFirst))], LastName: benchLast[rng.IntN(len(benchLast))],
					Email: fmt.Sprintf("p%d.%d@example.com", seq, k), Phone: fmt.Sprintf("09%09d", rng.IntN(1_000_000_000)), IsPrimary: k == 0})
			}
		}
		t0 := time.Now()
		if _, err := st.BulkLoad(ctx, bk); err != nil {
			if errors.Is(err, store.ErrBulkLoaded) {
				continue
			}
			return loaded, fmt.Errorf("load batch %d: %w", b, err)
		}
		loaded += n
		fmt.Fprintf(out, "loaded batch %d: %d customers, %d contacts in %s\n", b, n, len(bk.Contacts), time.Since(t0).Round(time.Millisecond))
	}
	return loaded, nil
}

// benchPick picks k distinct indexes below n, skewed towards small ones.
func benchPick(rng *rand.Rand, n, k int) []int {
	var out []int
	for len(out) < min(k, n) {
		i := int(float64(n) * rng.Float64() * rng.Float64())
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}
