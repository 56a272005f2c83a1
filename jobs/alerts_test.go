package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

func runAsOf(t *testing.T, c *jobs.Client, tn core.Tenant, day string) store.ScoringRun {
	t.Helper()
	ctx := tenanttest.Ctx(tn)
	d, _ := store.ParseRunDate(day)
	r, err := c.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerCLI, AsOf: &d})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r, err = c.WaitRun(wctx, r.ID, 100*time.Millisecond)
	if err != nil || r.Status != store.RunDone {
		t.Fatalf("run as of %s = %s %s, %v", day, r.Status, r.Error, err)
	}
	return r
}

func tenantExec(t *testing.T, db *sqlx.DB, tn core.Tenant, q string, args ...any) {
	t.Helper()
	if err := tenant.Tx(tenanttest.Ctx(tn), db, func(tx *sqlx.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestRescueAlertsAndVIPTickets(t *testing.T) {
	flushRedis(t)
	env := tenanttest.New(t)
	tn := env.Tenant(t, "alerts")
	owners := []uuid.UUID{core.NewID(), core.NewID(), uuid.Nil}
	ids := loadCDNOW(t, env.DB, tn, owners)
	// The third "owner" stands for nobody: those customers go to the
	// tenant's default assignee.
	tenantExec(t, env.DB, tn, `update customers set owner_id = null where owner_id = $1`, uuid.Nil)
	assignee := core.NewID()
	tenantExec(t, env.DB, tn, `insert into settings (key, value) values ('alerts.default_assignee', $1)`, `"`+assignee.String()+`"`)
	// Every tenth customer is legacy, every tenth-plus-one inactive: never alerted.
	tenantExec(t, env.DB, tn, `update customers set status = 'legacy' where name like '%0'`)
	tenantExec(t, env.DB, tn, `update customers set status = 'inactive' where name like '%1'`)
	// VIP group with customer 2; open tickets for customers 2, 3 and 4.
	vipGroup := core.NewID()
	tenantExec(t, env.DB, tn, `insert into groups (id, name, is_vip) values ($1, 'مشتریان ویژه', true)`, vipGroup)
	tenantExec(t, env.DB, tn, `insert into customer_groups (customer_id, group_id) values ($1, $2)`, ids[2], vipGroup)
	tickets := map[int]uuid.UUID{}
	for _, sid := range []int{2, 3, 4} {
		tickets[sid] = core.NewID()
		tenantExec(t, env.DB, tn, `insert into tickets (id, customer_id, subject, priority, opened_at) values ($1, $2, 'help', 'normal', '1997-09-01')`, tickets[sid], ids[sid])
	}
	closed := core.NewID()
	tenantExec(t, env.DB, tn, `insert into tickets (id, customer_id, subject, priority, status, opened_at, closed_at) values ($1, $2, 'old', 'low', 'closed', '1997-02-01', '1997-02-02')`, closed, ids[2])

	startWorker(t, env, nil)
	c := newClient(t, env)

	// First run: the baseline, at most 20 alerts per owner (the unowned
	// customers' default assignee counts as one owner).
	r1 := runAsOf(t, c, tn, "1997-06-30")
	type taskRow struct {
		ID         uuid.UUID     `db:"id"`
		CustomerID uuid.UUID     `db:"customer_id"`
		Assignee   uuid.NullUUID `db:"assignee_id"`
		Details    []byte        `db:"details"`
		Body       string        `db:"body"`
		Status     string        `db:"customer_status"`
		Owner      uuid.NullUUID `db:"owner_id"`
	}
	tasksOf := func() []taskRow {
		var out []taskRow
		err := tenant.ReadTx(tenanttest.Ctx(tn), env.DB, func(tx *sqlx.Tx) error {
			return tx.Select(&out, `select t.id, t.customer_id, t.assignee_id, t.details, t.body, c.status as customer_status, c.owner_id
				from tasks t join customers c on c.id = t.customer_id where t.source = 'rescue_alert' order by t.created_at`)
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := tasksOf()
	if len(first) == 0 {
		t.Fatal("the first run raised no alert; CDNOW has many high-risk customers")
	}
	perAssignee := map[uuid.UUID]int{}
	for _, tk := range first {
		perAssignee[tk.Assignee.UUID]++
	}
	for a, n := range perAssignee {
		if n > 20 {
			t.Errorf("assignee %s got %d alerts on the first run, want at most 20", a, n)
		}
	}
	if r1.AlertsCreated != len(first) {
		t.Errorf("run records %d alerts, %d tasks exist", r1.AlertsCreated, len(first))
	}
	checkTasks := func(ts []taskRow) {
		t.Helper()
		for _, tk := range ts {
			if tk.Status != "active" {
				t.Errorf("task %s for a %s customer", tk.ID, tk.Status)
			}
			want := assignee
			if tk.Owner.Valid {
				want = tk.Owner.UUID
			}
			if tk.Assignee.UUID != want {
				t.Errorf("task %s assigned to %v, want %s (owner or default assignee)", tk.ID, tk.Assignee, want)
			}
			var d struct {
				Kind    string            `json:"kind"`
				Reasons []json.RawMessage `json:"reasons"`
				Offer   map[string]any    `json:"offer"`
			}
			if err := json.Unmarshal(tk.Details, &d); err != nil || len(d.Reasons) == 0 || d.Offer == nil {
				t.Errorf("task %s details %s: want reasons and an offer", tk.ID, tk.Details)
			}
			if !strings.Contains(tk.Body, "Reasons:") {
				t.Errorf("task %s body %q lacks the reasons", tk.ID, tk.Body)
			}
		}
	}
	checkTasks(first)
	if n := count(t, env.DB, tn, `select count(*) from alerts where run_id = $1`, r1.ID); n != len(first) {
		t.Errorf("alert history has %d rows for the first run, want %d", n, len(first))
	}

	// VIP: the VIP group's open ticket is raised with the group named; the
	// closed one is left alone.
	var prio, reason string
	_ = env.DB.QueryRow(`select priority, priority_reason from `+tn.Schema+`.tickets where id = $1`, tickets[2]).Scan(&prio, &reason)
	if prio != "high" || !strings.Contains(reason, "مشتریان ویژه") {
		t.Errorf("VIP ticket = %s %q, want high with the group named", prio, reason)
	}
	_ = env.DB.QueryRow(`select priority from `+tn.Schema+`.tickets where id = $1`, closed).Scan(&prio)
	if prio != "low" {
		t.Errorf("closed VIP ticket = %s, want it left low", prio)
	}
	// Top CLV decile: tickets of customers at or above the 90th percentile
	// of CLV are high, the others not.
	for _, sid := range []int{3, 4} {
		var clv, rank int64
		_ = env.DB.QueryRow(`select s.clv, (select count(*) from `+tn.Schema+`.scores o where o.clv > s.clv) from `+tn.Schema+`.scores s where customer_id = $1`, ids[sid]).Scan(&clv, &rank)
		_ = env.DB.QueryRow(`select priority, priority_reason from `+tn.Schema+`.tickets where id = $1`, tickets[sid]).Scan(&prio, &reason)
		top := clv > 0 && rank < int64((len(ids)+9)/10)
		if top != (prio == "high") {
			t.Errorf("customer %d (CLV %d, %d customers above): ticket %s %q", sid, clv, rank, prio, reason)
		}
	}

	// Second run: alerts only on new events; never a second open task.
	levels1 := levelsOf(t, env.DB, tn)
	r2 := runAsOf(t, c, tn, "1997-09-30")
	all := tasksOf()
	second := all[len(first):]
	checkTasks(second)
	hadTask := map[uuid.UUID]bool{}
	for _, tk := range first {
		hadTask[tk.CustomerID] = true
	}
	levels2 := levelsOf(t, env.DB, tn)
	rose := 0
	for id, l2 := range levels2 {
		if l2 == "high" && levels1[id] != "high" && !hadTask[id] && statusOf(t, env.DB, tn, id) == "active" {
			rose++
			if n := count(t, env.DB, tn, `select count(*) from tasks where customer_id = $1 and source = 'rescue_alert'`, id); n != 1 {
				t.Errorf("customer %s rose to high: %d rescue tasks, want exactly 1", id, n)
			}
		}
	}
	for _, tk := range second {
		if hadTask[tk.CustomerID] {
			t.Errorf("customer %s got a second rescue task while the first is open", tk.CustomerID)
		}
	}
	t.Logf("first run %d alerts; second run %d alerts (%d customers rose to high)", len(first), len(second), rose)
	if r2.AlertsCreated != len(second) {
		t.Errorf("second run records %d alerts, %d tasks were created", r2.AlertsCreated, len(second))
	}
	// Third run, later still: nobody with an open task gets another.
	runAsOf(t, c, tn, "1998-03-31")
	if n := count(t, env.DB, tn, `select coalesce(max(n), 0) from (select count(*) n from tasks where source = 'rescue_alert' and status = 'open' group by customer_id) x`); n > 1 {
		t.Errorf("a customer has %d open rescue tasks", n)
	}
	if n := count(t, env.DB, tn, `select count(*) from tasks t join customers c on c.id = t.customer_id where t.source = 'rescue_alert' and c.status <> 'active'`); n != 0 {
		t.Errorf("%d rescue tasks for legacy or inactive customers", n)
	}
}

func levelsOf(t *testing.T, db *sqlx.DB, tn core.Tenant) map[uuid.UUID]string {
	out := map[uuid.UUID]string{}
	err := tenant.ReadTx(tenanttest.Ctx(tn), db, func(tx *sqlx.Tx) error {
		rows, err := tx.Query(`select customer_id, risk_level from scores`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id uuid.UUID
			var l string
			if err := rows.Scan(&id, &l); err != nil {
				return err
			}
			out[id] = l
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func statusOf(t *testing.T, db *sqlx.DB, tn core.Tenant, id uuid.UUID) string {
	var s string
	if err := db.Get(&s, `select status from `+tn.Schema+`.customers where id = $1`, id); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTaskWithoutTenantIsRefused(t *testing.T) {
	env := tenanttest.New(t)
	reg := prometheus.NewRegistry()
	w := jobs.NewWorker(jobs.WorkerConfig{RedisAddr: redisAddr, RedisDB: testRedisDB, DB: env.DB, Registry: env.Registry, Metrics: reg, Log: quietLog(t)})
	h := jobs.Handler(w)
	for name, payload := range map[string]string{
		"no tenant":      `{"run_id":"` + core.NewID().String() + `"}`,
		"not json":       `tenant`,
		"unknown tenant": `{"tenant_id":"` + core.NewID().String() + `","run_id":"` + core.NewID().String() + `"}`,
	} {
		err := h.ProcessTask(context.Background(), asynq.NewTask(store.TaskScoringRun, []byte(payload)))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: %v, want a refusal that is not retried", name, err)
		}
		if name != "unknown tenant" && !errors.Is(err, jobs.ErrNoTenant) {
			t.Errorf("%s: %v, want ErrNoTenant", name, err)
		}
	}
	if got := jobsProcessed(t, reg, store.TaskScoringRun, "refused"); got != 3 {
		t.Errorf("refused scoring:run tasks counted = %v, want 3", got)
	}
}

// jobsProcessed finds the processed counter of a type and outcome.
func jobsProcessed(t *testing.T, reg *prometheus.Registry, typ, outcome string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "gomato_jobs_processed_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["type"] == typ && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no gomato_jobs_processed_total{type=%q,outcome=%q}", typ, outcome)
	return 0
}
