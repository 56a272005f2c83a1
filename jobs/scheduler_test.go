package jobs_test

import (
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestNightlySlotSkippedAfterAFreshRun: a worker started in the evening
// (after gomato demo scored every tenant) does not catch up that
// morning's 02:00 slot for a tenant scored since 02:00 or being scored
// now; it does for a tenant whose last run is older, or only scored a
// past as-of day, or was never scored.
func TestNightlySlotSkippedAfterAFreshRun(t *testing.T) {
	flushRedis(t)
	env := tenanttest.New(t)
	now := time.Date(2030, 5, 10, 19, 50, 0, 0, time.UTC)
	dueAt := time.Date(2030, 5, 10, 2, 0, 0, 0, time.UTC)
	run := func(tn core.Tenant, status string, finished time.Time, asOf any) {
		t.Helper()
		err := tenant.Tx(tenanttest.Ctx(tn), env.DB, func(tx *sqlx.Tx) error {
			var fin any
			if !finished.IsZero() {
				fin = finished
			}
			_, err := tx.Exec(`insert into scoring_runs (id, status, trigger, as_of, requested_at, started_at, finished_at)
				values ($1, $2, 'demo', $3, $4, $4, $5)`, core.NewID(), status, asOf, finished.Add(-time.Minute), fin)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	fresh, running := env.Tenant(t, "fresh"), env.Tenant(t, "running")
	stale, backfill, never := env.Tenant(t, "stale"), env.Tenant(t, "backfill"), env.Tenant(t, "never")
	run(fresh, "done", now.Add(-time.Minute), nil)           // the demo, at 19:49
	run(running, "running", time.Time{}, nil)                // being scored
	run(stale, "done", dueAt.Add(-time.Hour), nil)           // last night, before 02:00
	run(backfill, "done", now.Add(-time.Hour), "1997-09-30") // after 02:00, but of a past day
	startWorker(t, env, func(c *jobs.WorkerConfig) {
		c.Scheduler.Enabled = true
		c.Scheduler.Tick = 200 * time.Millisecond
		c.Scheduler.NightlyAt = 2 * time.Hour
		c.Scheduler.Now = func() time.Time { return now }
	})
	const slot = "nightly:2030-05-10"
	slots := func() int {
		var n int
		if err := env.DB.Get(&n, `select count(*) from control.schedule_slots where slot = $1`, slot); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Every tenant's slot is acted on: by a new run or by the one that
	// covers it.
	waitFor(t, 60*time.Second, "every slot acted on", func() bool { return slots() == 5 })
	time.Sleep(time.Second) // more ticks
	for _, c := range []struct {
		tn   core.Tenant
		want int
	}{{fresh, 0}, {running, 0}, {stale, 1}, {backfill, 1}, {never, 1}} {
		if n := count(t, env.DB, c.tn, `select count(*) from scoring_runs where trigger = 'schedule' and slot = $1`, slot); n != c.want {
			t.Errorf("%s: %d nightly runs, want %d", c.tn.Slug, n, c.want)
		}
	}
	if n := count(t, env.DB, fresh, `select count(*) from scoring_runs`); n != 1 {
		t.Errorf("fresh: %d runs, want only the demo's", n)
	}
	if slots() != 5 {
		t.Errorf("slots = %d, want 5", slots())
	}
}

// TestNightlySlot: the slot is named for the tenant's local day and is
// due only from the nightly time on.
func TestNightlySlot(t *testing.T) {
	tehran, err := time.LoadLocation("Asia/Tehran")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2030, 5, 9, 22, 29, 0, 0, time.UTC), ""},                   // 01:59 in Tehran
		{time.Date(2030, 5, 9, 22, 30, 0, 0, time.UTC), "nightly:2030-05-10"}, // 02:00 in Tehran
		{time.Date(2030, 5, 10, 16, 20, 0, 0, time.UTC), "nightly:2030-05-10"},
	} {
		if got := jobs.NightlySlot(c.now, tehran, 2*time.Hour); got != c.want {
			t.Errorf("NightlySlot(%s) = %q, want %q", c.now, got, c.want)
		}
	}
}
