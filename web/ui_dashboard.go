package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/core/jalali"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/web/i18n"
)

// The retention dashboard (DESIGN §1 "Dashboards"): every figure within
// the actor's scope (own-records users see their customers only), every
// chart with a table and a link to the matching customer list.

type dashLevel struct {
	Level     string
	Customers int
	CLV       int64
	AtRisk    int64
}

type dashGroup struct {
	ID        uuid.UUID
	Name      string
	Customers int
	CLV       int64
}

type dashSegment struct {
	Key       string
	Customers int
	CLV       int64
}

type dashCohortSide struct {
	Side         string // stayed or left
	Customers    int
	Tickets      float64
	OverdueShare float64
	TenureDays   *float64
	Satisfaction *float64
	ContractType string
}

type dashCohort struct {
	Label     string
	Customers int
	Active    int
	Repeat    int
}

type dashRun struct {
	At        time.Time
	Model     string
	Scored    int
	AUC       *float64
	Fit       []kv
	Low, Med  int
	High      int
	Scoped    bool
	HasTrend  bool
	TrendRuns []store.ScoringRun
}

type dashboardData struct {
	Scoped    bool
	Levels    []dashLevel
	Groups    []dashGroup
	Segments  []dashSegment
	RFM       [5][5]int // [5-R][F-1]: recency 5 (recent) first
	Dist      [10]int
	Sides     []dashCohortSide
	Cohorts   []dashCohort
	Run       *dashRun
	ChartJSON template.JS
}

func (s *Server) uiDashboard(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := s.newPage(c, "dashboard")
	p.Title = p.T("dashboard.title")
	d := &dashboardData{}
	scope, args := "true", []any{}
	if p.Actor != nil && p.Actor.OwnRecordsOnly {
		d.Scoped = true
		scope, args = "c.owner_id = $1", []any{p.Actor.UserID}
	}
	err := tenant.ReadTx(ctx, s.deps.DB, func(tx *sqlx.Tx) error {
		from := ` from scores s join customers c on c.id = s.customer_id where ` + scope
		var lv []struct {
			Level     string `db:"risk_level"`
			Customers int    `db:"n"`
			CLV       int64  `db:"clv"`
			AtRisk    int64  `db:"at_risk"`
		}
		// Revenue at risk is Σ round(risk × CLV), as scoring runs record it.
		if err := tx.SelectContext(ctx, &lv, `select s.risk_level, count(*) as n, coalesce(sum(s.clv), 0)::bigint as clv,
			coalesce(sum(floor(s.risk * s.clv + 0.5)), 0)::bigint as at_risk`+from+` group by 1`, args...); err != nil {
			return fmt.Errorf("dashboard levels: %w", err)
		}
		byLevel := map[string]dashLevel{}
		for _, l := range lv {
			byLevel[l.Level] = dashLevel{l.Level, l.Customers, l.CLV, l.AtRisk}
		}
		for _, l := range uiRiskLevels {
			x := byLevel[l]
			x.Level = l
			d.Levels = append(d.Levels, x)
		}
		var gs []struct {
			ID        uuid.UUID `db:"id"`
			Name      string    `db:"name"`
			Customers int       `db:"n"`
			CLV       int64     `db:"clv"`
		}
		if err := tx.SelectContext(ctx, &gs, `select g.id, g.name, count(*) as n, coalesce(sum(s.clv), 0)::bigint as clv
			from customer_groups cg join groups g on g.id = cg.group_id join customers c on c.id = cg.customer_id
			join scores s on s.customer_id = c.id where `+scope+` group by g.id, g.name order by clv desc, g.name limit 20`, args...); err != nil {
			return fmt.Errorf("dashboard groups: %w", err)
		}
		for _, g := range gs {
			d.Groups = append(d.Groups, dashGroup{g.ID, g.Name, g.Customers, g.CLV})
		}
		var ss []struct {
			Segment   string `db:"segment"`
			Customers int    `db:"n"`
			CLV       int64  `db:"clv"`
		}
		if err := tx.SelectContext(ctx, &ss, `select s.segment, count(*) as n, coalesce(sum(s.clv), 0)::bigint as clv`+from+
			` and s.segment <> '' group by 1 order by clv desc`, args...); err != nil {
			return fmt.Errorf("dashboard segments: %w", err)
		}
		for _, x := range ss {
			d.Segments = append(d.Segments, dashSegment{segmentKey(x.Segment), x.Customers, x.CLV})
		}
		var grid []struct {
			R, F, N int
		}
		if err := tx.SelectContext(ctx, &grid, `select s.r, s.f, count(*) as n`+from+
			` and s.r between 1 and 5 and s.f between 1 and 5 group by 1, 2`, args...); err != nil {
			return fmt.Errorf("dashboard rfm: %w", err)
		}
		for _, g := range grid {
			d.RFM[5-g.R][g.F-1] = g.N
		}
		var dist []struct {
			B, N int
		}
		if err := tx.SelectContext(ctx, &dist, `select least(greatest(floor(s.risk * 10)::int, 0), 9) as b, count(*) as n`+from+` group by 1`, args...); err != nil {
			return fmt.Errorf("dashboard distribution: %w", err)
		}
		for _, x := range dist {
			d.Dist[x.B] = x.N
		}
		var sides []struct {
			Stayed       bool     `db:"stayed"`
			Customers    int      `db:"n"`
			Tickets      float64  `db:"tickets"`
			Overdue      float64  `db:"overdue"`
			Tenure       *float64 `db:"tenure"`
			Satisfaction *float64 `db:"satisfaction"`
			Contract     *string  `db:"contract"`
		}
		if err := tx.SelectContext(ctx, &sides, `select c.status = 'active' as stayed, count(*) as n,
			coalesce(avg((select count(*) from tickets t where t.customer_id = c.id)), 0)::float8 as tickets,
			coalesce(avg(case when c.overdue_invoices > 0 then 1.0 else 0.0 end), 0)::float8 as overdue,
			avg(c.last_purchase_on - c.first_purchase_on)::float8 as tenure,
			avg((select avg(t.satisfaction) from tickets t where t.customer_id = c.id))::float8 as satisfaction,
			mode() within group (order by (select k.type from contracts k where k.customer_id = c.id and k.type <> ''
				order by k.start_on desc limit 1)) as contract
			from customers c where `+scope+` group by 1 order by 1 desc`, args...); err != nil {
			return fmt.Errorf("dashboard cohorts: %w", err)
		}
		for _, x := range sides {
			side := dashCohortSide{Side: "left", Customers: x.Customers, Tickets: x.Tickets, OverdueShare: x.Overdue,
				TenureDays: x.Tenure, Satisfaction: x.Satisfaction}
			if x.Stayed {
				side.Side = "stayed"
			}
			if x.Contract != nil {
				side.ContractType = *x.Contract
			}
			d.Sides = append(d.Sides, side)
		}
		var firsts []struct {
			First  time.Time `db:"first_purchase_on"`
			Active bool      `db:"active"`
			Repeat bool      `db:"repeat"`
			N      int       `db:"n"`
		}
		if err := tx.SelectContext(ctx, &firsts, `select c.first_purchase_on, c.status = 'active' as active,
			coalesce(c.last_purchase_on > c.first_purchase_on + 30, false) as repeat, count(*) as n
			from customers c where `+scope+` and c.first_purchase_on is not null group by 1, 2, 3`, args...); err != nil {
			return fmt.Errorf("dashboard first purchases: %w", err)
		}
		d.Cohorts = cohortsOf(p, firsts)
		return nil
	})
	if err != nil {
		return err
	}
	// The latest run is the tenant's (not a scoped figure); its trend
	// counts every customer, so own-records users do not get it.
	runs, err := s.uiStore().ScoringRuns(ctx, store.ScoringRunFilter{Status: "done", Limit: 12})
	if err != nil {
		return err
	}
	if len(runs) > 0 {
		r := runs[0]
		run := &dashRun{Scored: r.CustomersScored, AUC: r.BacktestAUC, Scoped: d.Scoped}
		if r.FinishedAt != nil {
			run.At = *r.FinishedAt
		}
		run.Model, run.Fit = modelSummary(p, r.Model)
		if !d.Scoped {
			run.HasTrend = true
			for i := len(runs) - 1; i >= 0; i-- {
				run.TrendRuns = append(run.TrendRuns, runs[i])
			}
		}
		d.Run = run
	}
	d.ChartJSON = dashboardCharts(p, d)
	p.Data = d
	return s.render(c, fiber.StatusOK, "dashboard", p)
}

// cohortsOf groups customers by the month of their first purchase — a
// Jalali month for Persian — the last twelve cohorts, oldest first.
func cohortsOf(p *page, rows []struct {
	First  time.Time `db:"first_purchase_on"`
	Active bool      `db:"active"`
	Repeat bool      `db:"repeat"`
	N      int       `db:"n"`
}) []dashCohort {
	type key struct{ y, m int }
	m := map[key]*dashCohort{}
	for _, r := range rows {
		y, mo, dd := r.First.Date()
		k := key{y, int(mo)}
		label := fmt.Sprintf("%04d-%02d", y, int(mo))
		if p.Lang == i18n.Fa {
			j := jalali.FromGregorian(y, mo, dd)
			k = key{j.Year, j.Month}
			label = jalali.MonthNamesFa[j.Month-1] + " " + p.Digits(fmt.Sprint(j.Year))
		}
		c := m[k]
		if c == nil {
			c = &dashCohort{Label: label}
			m[k] = c
		}
		c.Customers += r.N
		if r.Active {
			c.Active += r.N
		}
		if r.Repeat {
			c.Repeat += r.N
		}
	}
	keys := make([]key, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].y != keys[j].y {
			return keys[i].y < keys[j].y
		}
		return keys[i].m < keys[j].m
	})
	if len(keys) > 12 {
		keys = keys[len(keys)-12:]
	}
	out := make([]dashCohort, 0, len(keys))
	for _, k := range keys {
		out = append(out, *m[k])
	}
	return out
}

// modelFigures are the fit figures the dashboard shows, by their path in
// a run's model JSON, with their catalogue label (fit.<label>) and how
// they print: counts as integers, parameters with four decimals.
var modelFigures = []struct {
	path, label string
	decimals    int // -1: a count
}{
	{"customers", "customers", -1},
	{"buyers", "buyers", -1},
	{"no_history", "no_history", -1},
	{"median_usual_gap", "usual_gap_weeks", 1},
	{"horizon_days", "horizon_days", -1},
	{"bg_nbd.customers", "bgnbd_customers", -1},
	{"bg_nbd.r", "bgnbd_r", 4},
	{"bg_nbd.alpha", "bgnbd_alpha", 4},
	{"bg_nbd.a", "bgnbd_a", 4},
	{"bg_nbd.b", "bgnbd_b", 4},
	{"bg_nbd.log_lik", "bgnbd_log_lik", 1},
	{"gamma_gamma.customers", "gg_customers", -1},
	{"gamma_gamma.p", "gg_p", 4},
	{"gamma_gamma.q", "gg_q", 4},
	{"gamma_gamma.gamma", "gg_gamma", 4},
	{"transaction_churn.train", "tx_train", -1},
	{"transaction_churn.lapsed", "tx_lapsed", -1},
	{"transaction_churn.backtest_auc", "tx_backtest_auc", 3},
	{"contract_churn.train", "contract_train", -1},
	{"contract_churn.churned", "contract_churned", -1},
	{"contract_churn.cv_auc", "contract_cv_auc", 3},
	{"contract_churn.cv_log_loss", "contract_cv_log_loss", 3},
}

// modelSummary reads the model kind and its headline fit figures from a
// run's model JSON, labelled in the user's language. Figures the run
// does not have are left out.
func modelSummary(p *page, raw json.RawMessage) (string, []kv) {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return "—", nil
	}
	name := "—"
	for _, k := range []string{"churn_model", "kind", "model", "name", "type"} {
		if v, ok := m[k].(string); ok && v != "" {
			name = v
			if i18n.Has(p.Lang, "model."+v) {
				name = p.T("model." + v)
			}
			break
		}
	}
	// Only the churn model the run used: the other's figures (a skipped
	// backtest, say) would read as this run's.
	skip := "contract_churn."
	if m["churn_model"] == "contract" {
		skip = "transaction_churn."
	}
	var fit []kv
	for _, f := range modelFigures {
		if strings.HasPrefix(f.path, skip) {
			continue
		}
		var v any = m
		for _, part := range strings.Split(f.path, ".") {
			obj, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = obj[part]
		}
		x, ok := v.(float64)
		if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		val := p.Decimal(x, f.decimals)
		if f.decimals < 0 {
			val = p.Int(int64(math.Round(x)))
		}
		fit = append(fit, kv{p.T("fit." + f.label), val})
	}
	return name, fit
}

// dashboardCharts is the charts' data for static/dashboard.js, labels in
// the user's language.
func dashboardCharts(p *page, d *dashboardData) template.JS {
	type series struct {
		Labels []string  `json:"labels"`
		Values []float64 `json:"values"`
		Label  string    `json:"label"`
	}
	out := map[string]any{"rtl": p.Dir() == "rtl"}
	var lv series
	lv.Label = p.T("dashboard.customers")
	for _, l := range d.Levels {
		lv.Labels = append(lv.Labels, p.T("risk."+l.Level))
		lv.Values = append(lv.Values, float64(l.Customers))
	}
	out["levels"] = lv
	var ds series
	ds.Label = p.T("dashboard.customers")
	for i, n := range d.Dist {
		ds.Labels = append(ds.Labels, p.Digits(fmt.Sprintf("%d–%d", i*10, i*10+10))+"٪")
		if p.Lang != i18n.Fa {
			ds.Labels[i] = fmt.Sprintf("%d–%d%%", i*10, i*10+10)
		}
		ds.Values = append(ds.Values, float64(n))
	}
	out["dist"] = ds
	exp, _ := core.CurrencyExponent(p.Currency)
	scale := math.Pow10(exp)
	var seg series
	seg.Label = p.T("customers.clv")
	for _, x := range d.Segments {
		seg.Labels = append(seg.Labels, p.T("segment."+x.Key))
		seg.Values = append(seg.Values, float64(x.CLV)/scale)
	}
	out["segments"] = seg
	if d.Run != nil && d.Run.HasTrend {
		tr := map[string]any{}
		var labels []string
		var low, med, high []int
		for _, r := range d.Run.TrendRuns {
			at := r.RequestedAt
			if r.FinishedAt != nil {
				at = *r.FinishedAt
			}
			labels = append(labels, p.Date(at))
			low, med, high = append(low, r.Levels.Low.Customers), append(med, r.Levels.Medium.Customers), append(high, r.Levels.High.Customers)
		}
		tr["labels"], tr["low"], tr["medium"], tr["high"] = labels, low, med, high
		tr["names"] = []string{p.T("risk.low"), p.T("risk.medium"), p.T("risk.high")}
		out["trend"] = tr
	}
	b, _ := json.Marshal(out)
	return template.JS(b)
}

// listLink is the customer list filtered like a dashboard figure.
func listLink(p *page, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return p.TURL("customers") + "?" + q.Encode()
}

// DashLink is listLink for templates.
func (p *page) DashLink(kv ...string) string { return listLink(p, kv...) }
