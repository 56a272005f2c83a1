package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant/store"
)

// Scoring runs: tenant admins, managers and sales read them; managers may
// request one (DESIGN §4). A request is recorded in Postgres and coalesced
// there (one pending run per tenant), so it answers 202 with the run it
// started or joined. The queue dashboard (asynqmon) shows every tenant's
// tasks and is for platform operators only.
func (s *Server) scoringRoutes() []Route {
	read := authz.P(authz.ScoringRuns, authz.Read)
	rs := []Route{
		{Method: fiber.MethodPost, Path: "/api/v1/scoring/runs", Tenant: true, Perm: authz.P(authz.ScoringRuns, authz.Run), Handler: s.requestScoringRun},
		{Method: fiber.MethodGet, Path: "/api/v1/scoring/runs", Tenant: true, Perm: read, Handler: s.listScoringRuns},
		{Method: fiber.MethodGet, Path: "/api/v1/scoring/runs/:id", Tenant: true, Perm: read, Handler: s.getScoringRun},
	}
	queues := authz.P(authz.Queue, authz.Read)
	dash := s.queueDashboard()
	for _, m := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete} {
		rs = append(rs, Route{Method: m, Path: QueueDashboardPath + "/*", Perm: queues, Handler: dash})
	}
	rs = append(rs, Route{Method: fiber.MethodGet, Path: QueueDashboardPath, Perm: queues, Handler: dash})
	return rs
}

// QueueDashboardPath is where the queue dashboard is mounted; the handler
// in Deps.Queues must be built for this prefix.
const QueueDashboardPath = "/admin/queues"

func (s *Server) queueDashboard() fiber.Handler {
	if s.deps.Queues == nil {
		return func(c *fiber.Ctx) error {
			return core.Errorf(core.CodeUnavailable, "the queue dashboard is not configured")
		}
	}
	return adaptor.HTTPHandler(s.deps.Queues)
}

// jobsClient is the client that records and enqueues background work.
func (s *Server) jobsClient() (*jobs.Client, error) {
	if s.deps.Jobs == nil {
		return nil, core.Errorf(core.CodeUnavailable, "background work is not configured on this server")
	}
	return s.deps.Jobs, nil
}

// ScoringRunRequest is the body of POST /api/v1/scoring/runs; it may be
// empty.
type ScoringRunRequest struct {
	// AsOf scores as of the end of that day (YYYY-MM-DD, the tenant's time
	// zone), with data up to it only; omitted means now.
	AsOf *string `json:"as_of,omitempty"`
}

// ScoringRunView is a scoring run as the API shows it.
type ScoringRunView struct {
	ID              uuid.UUID       `json:"id"`
	Status          string          `json:"status"`
	Trigger         string          `json:"trigger"`
	Slot            *string         `json:"slot,omitempty"`
	AsOf            *string         `json:"as_of,omitempty"`
	EffectiveAt     *time.Time      `json:"effective_at,omitempty"`
	RequestedBy     *uuid.UUID      `json:"requested_by,omitempty"`
	RequestedAt     time.Time       `json:"requested_at"`
	StartedAt       *time.Time      `json:"started_at,omitempty"`
	FinishedAt      *time.Time      `json:"finished_at,omitempty"`
	Attempts        int             `json:"attempts"`
	Error           string          `json:"error,omitempty"`
	CustomersScored int             `json:"customers_scored"`
	Model           map[string]any  `json:"model"`
	BacktestAUC     *float64        `json:"backtest_auc,omitempty"`
	Levels          store.RunLevels `json:"levels"`
	CLVTotal        core.Money      `json:"clv_total"`
	RevenueAtRisk   core.Money      `json:"revenue_at_risk"`
	AlertsCreated   int             `json:"alerts_created"`
	TimingsMS       map[string]int  `json:"timings_ms"`
}

// ScoringRunPage is one page of runs, newest first.
type ScoringRunPage struct {
	Items      []ScoringRunView `json:"items"`
	NextCursor string           `json:"next_cursor"`
}

func scoringRunView(r store.ScoringRun, tenantCurrency string) ScoringRunView {
	v := ScoringRunView{ID: r.ID, Status: r.Status, Trigger: r.Trigger, Slot: r.Slot, EffectiveAt: r.EffectiveAt,
		RequestedBy: r.RequestedBy, RequestedAt: r.RequestedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Attempts: r.Attempts, Error: r.Error, CustomersScored: r.CustomersScored, BacktestAUC: r.BacktestAUC,
		Levels: r.Levels, AlertsCreated: r.AlertsCreated, Model: map[string]any{}, TimingsMS: map[string]int{}}
	if r.AsOf != nil {
		d := r.AsOf.String()
		v.AsOf = &d
	}
	cur := r.Currency
	if cur == "" {
		cur = tenantCurrency
	}
	v.CLVTotal = core.Money{Amount: r.CLVTotal, Currency: cur}
	v.RevenueAtRisk = core.Money{Amount: r.RevenueAtRisk, Currency: cur}
	if len(r.Model) > 0 {
		_ = json.Unmarshal(r.Model, &v.Model)
	}
	if len(r.Timings) > 0 {
		_ = json.Unmarshal(r.Timings, &v.TimingsMS)
	}
	// The run's failure detail is for operators' logs; users see that it
	// failed and may retry.
	if r.Status == store.RunFailed {
		v.Error = "the run failed; request a new one"
	} else {
		v.Error = ""
	}
	return v
}

func (s *Server) requestScoringRun(c *fiber.Ctx) error {
	var req ScoringRunRequest
	if len(strings.TrimSpace(string(c.Body()))) > 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	ctx := c.UserContext()
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	rr := store.RunRequest{Trigger: store.TriggerAPI, Delay: jobs.APIDebounce}
	if act, ok := core.ActorFrom(ctx); ok && act.UserID != uuid.Nil {
		id := act.UserID
		rr.RequestedBy = &id
	}
	if req.AsOf != nil {
		d, err := parseAsOf(*req.AsOf, t)
		if err != nil {
			return err
		}
		rr.AsOf = &d
	}
	jc, err := s.jobsClient()
	if err != nil {
		return err
	}
	run, err := jc.RequestRun(ctx, rr)
	if err != nil {
		return err
	}
	c.Location("/api/v1/scoring/runs/" + run.ID.String())
	return c.Status(fiber.StatusAccepted).JSON(scoringRunView(run, t.Currency))
}

// parseAsOf reads an as-of day (YYYY-MM-DD, Persian or Arabic-Indic digits
// accepted) and refuses days in the tenant's future or before 1970.
func parseAsOf(s string, t core.Tenant) (store.RunDate, error) {
	d, err := store.ParseRunDate(strings.TrimSpace(core.FoldDigits(s)))
	if err != nil {
		return d, core.Invalid(map[string]string{"as_of": "use a date as YYYY-MM-DD"})
	}
	loc, lerr := time.LoadLocation(t.TimeZone)
	if lerr != nil {
		loc = time.UTC
	}
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if d.After(today) {
		return d, core.Invalid(map[string]string{"as_of": "must not be in the future"})
	}
	// No tenant's data starts before 1970; a day before it scores nothing
	// and used to meet the pending-run check (409) instead of a 422.
	if d.Year() < 1970 {
		return d, core.Invalid(map[string]string{"as_of": "must be 1970-01-01 or later"})
	}
	return d, nil
}

func (s *Server) listScoringRuns(c *fiber.Ctx) error {
	var f store.ScoringRunFilter
	bad := map[string]string{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		key, val := string(k), strings.TrimSpace(string(v))
		switch key {
		case "limit":
			n, err := strconv.Atoi(core.FoldDigits(val))
			if err != nil || n < 1 || n > 200 {
				bad[key] = "must be a whole number from 1 to 200"
				return
			}
			f.Limit = n
		case "cursor":
			id, err := uuid.Parse(val)
			if err != nil {
				bad[key] = "not a cursor from this list"
				return
			}
			f.After = &id
		case "status":
			switch val {
			case store.RunPending, store.RunRunning, store.RunDone, store.RunFailed:
				f.Status = val
			default:
				bad[key] = "must be pending, running, done or failed"
			}
		default:
			bad[key] = "unknown parameter"
		}
	})
	if len(bad) > 0 {
		return core.Invalid(bad)
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	ctx := c.UserContext()
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	runs, err := s.apiStore().ScoringRuns(ctx, f)
	if err != nil {
		return err
	}
	page := ScoringRunPage{Items: make([]ScoringRunView, len(runs))}
	for i, r := range runs {
		page.Items[i] = scoringRunView(r, t.Currency)
	}
	if len(runs) == f.Limit {
		page.NextCursor = runs[len(runs)-1].ID.String()
	}
	return c.JSON(page)
}

func (s *Server) getScoringRun(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	t, err := core.TenantFrom(ctx)
	if err != nil {
		return err
	}
	r, err := s.apiStore().ScoringRun(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(scoringRunView(r, t.Currency))
}

func init() {
	addAPIDocs(map[string]APIDoc{
		"POST /api/v1/scoring/runs": {Summary: "Request a scoring run",
			Description: "Records the request and starts a run, or joins the run already waiting (at most one waits per tenant, so repeated clicks make one run). " +
				"The body may be empty; as_of scores as of the end of a past day with only the data up to it. Answers 202 with the run; poll it at its Location.",
			Request: ScoringRunRequest{}, Response: ScoringRunView{}, Status: http.StatusAccepted},
		"GET /api/v1/scoring/runs": {Summary: "List scoring runs, newest first",
			Description: "Each run's status, timings, customers scored, model parameters and fit quality, backtest AUC, and per-risk-level counts and totals (customers, CLV, revenue at risk) for trend charts.",
			Response:    ScoringRunPage{},
			Query: [][2]string{{"limit", "page size, 1–200 (default 50)"}, {"cursor", "next_cursor of the previous page"},
				{"status", "pending, running, done or failed"}}},
		"GET /api/v1/scoring/runs/:id": {Summary: "One scoring run", Response: ScoringRunView{}},
	})
}
