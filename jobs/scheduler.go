package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// SchedulerConfig configures periodic work and the outbox reconciler.
// Every worker may run them; only the one holding the leader lock does.
type SchedulerConfig struct {
	Enabled bool
	// Tick is how often the leader looks at the clock and the outbox
	// (default 30 s).
	Tick time.Duration
	// NightlyAt is the time of day, in each tenant's own time zone, after
	// which that day's nightly scoring run is due (0 is midnight; gomato
	// worker defaults to 02:00).
	NightlyAt time.Duration
	// NoNightly turns nightly runs off (the reconciler still runs).
	NoNightly bool
	// ReconcileGrace is how old a pending outbox row must be before the
	// reconciler looks at it, and how long a task may look orphaned
	// before the next attempt starts (default 15 s).
	ReconcileGrace time.Duration
	// Now is the clock (tests); time.Now by default.
	Now func() time.Time
}

func (c *SchedulerConfig) defaults() {
	if c.Tick <= 0 {
		c.Tick = 30 * time.Second
	}
	if c.ReconcileGrace <= 0 {
		c.ReconcileGrace = 15 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// leaderLock names the advisory lock whose holder runs the scheduler.
const leaderLock = "gomato.scheduler"

// lead campaigns for the leader lock until ctx ends; while leader it
// schedules nightly runs and reconciles the outbox every tick. The lock is
// a Postgres session lock: if the leader dies, its connection closes and
// another worker takes over within a tick.
func (w *Worker) lead(ctx context.Context) {
	tick := w.cfg.Scheduler.Tick
	for {
		l, ok, err := tryLock(ctx, w.cfg.DB, leaderLock)
		if err != nil && ctx.Err() == nil {
			w.cfg.Log.Warn("scheduler: leader lock", "err", err)
		}
		if ok {
			w.cfg.Log.Info("scheduler: leader")
			w.leaderLoop(ctx, l)
			l.release()
			w.cfg.Log.Info("scheduler: no longer leader")
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(tick):
		}
	}
}

func (w *Worker) leaderLoop(ctx context.Context, l *sessionLock) {
	rc := &reconciler{w: w}
	t := time.NewTicker(w.cfg.Scheduler.Tick)
	defer t.Stop()
	for {
		if !l.alive(ctx) {
			return
		}
		if w.cfg.Scheduler.NoNightly {
			// nothing to schedule
		} else if n, err := w.scheduleNightly(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Log.Error("scheduler: nightly runs", "err", err)
		} else if n > 0 {
			w.cfg.Log.Info("scheduler: nightly runs requested", "tenants", n)
		}
		if _, err := rc.tick(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Log.Error("outbox reconciler", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// NightlySlot is the slot name of the nightly run due at now for a tenant
// in loc, or "" before the nightly time of that local day.
func NightlySlot(now time.Time, loc *time.Location, at time.Duration) string {
	slot, _ := nightlySlot(now, loc, at)
	return slot
}

// nightlySlot is NightlySlot with the instant the slot became due.
func nightlySlot(now time.Time, loc *time.Location, at time.Duration) (string, time.Time) {
	local := now.In(loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	if local.Sub(midnight) < at {
		return "", time.Time{}
	}
	return "nightly:" + local.Format(time.DateOnly), midnight.Add(at)
}

// nightlyCovered returns a run of the context's tenant that makes the
// nightly run of a slot due since dueAt needless: one pending or running,
// or one done after dueAt scoring the present (not a past as-of day).
// A worker started in the evening would otherwise catch up that
// morning's slot right after the tenant was scored (gomato demo).
func (w *Worker) nightlyCovered(ctx context.Context, dueAt time.Time, day string) (uuid.UUID, bool, error) {
	var id uuid.UUID
	err := tenant.ReadTx(ctx, w.cfg.DB, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &id, `select id from scoring_runs
			where status in ('pending', 'running')
				or (status = 'done' and finished_at >= $1 and (as_of is null or as_of >= $2::date))
			order by requested_at desc limit 1`, dueAt, day)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return uuid.Nil, false, nil
	}
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("look for a run covering the nightly slot: %w", err)
	}
	return id, true, nil
}

// scheduleNightly requests the nightly run of every active tenant whose
// local nightly time has passed today and whose slot has no run yet,
// unless a run since that time already covers it (nightlyCovered). The
// slot table makes each slot act once even if two schedulers race; the
// run's task id is derived from the run, so each slot is enqueued once.
func (w *Worker) scheduleNightly(ctx context.Context) (int, error) {
	tenants, err := w.cfg.Registry.Tenants(ctx, nil)
	if err != nil {
		return 0, err
	}
	now := w.cfg.Scheduler.Now()
	var ids []string
	var slots []string
	due := map[uuid.UUID]core.Tenant{}
	slotOf := map[uuid.UUID]string{}
	dueAt := map[uuid.UUID]time.Time{}
	for _, t := range tenants {
		if t.Status != core.TenantActive {
			continue
		}
		loc, err := time.LoadLocation(t.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		slot, at := nightlySlot(now, loc, w.cfg.Scheduler.NightlyAt)
		if slot == "" {
			continue
		}
		ids = append(ids, t.ID.String())
		slots = append(slots, slot)
		due[t.ID] = t
		slotOf[t.ID], dueAt[t.ID] = slot, at
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var done []uuid.UUID
	if err := w.cfg.DB.SelectContext(ctx, &done, `
		select s.tenant_id from control.schedule_slots s
		join unnest($1::uuid[], $2::text[]) as d(tenant_id, slot) on d.tenant_id = s.tenant_id and d.slot = s.slot`,
		pq.Array(ids), pq.Array(slots)); err != nil {
		return 0, err
	}
	for _, id := range done {
		delete(due, id)
	}
	n := 0
	for id, t := range due {
		tctx := core.WithActor(core.WithTenant(ctx, t), core.SystemActor)
		slot := slotOf[id]
		ref, covered, err := w.nightlyCovered(tctx, dueAt[id], strings.TrimPrefix(slot, "nightly:"))
		if err != nil {
			w.cfg.Log.Error("scheduler: nightly run", "tenant", t.Slug, "err", err)
			continue
		}
		if covered {
			// The slot is acted on: by that run. Recorded, so that later
			// ticks do not look again.
			if _, err := w.cfg.DB.ExecContext(ctx, `insert into control.schedule_slots (tenant_id, slot, ref) values ($1, $2, $3)
				on conflict (tenant_id, slot) do nothing`, t.ID, slot, ref); err != nil {
				w.cfg.Log.Error("scheduler: record covered slot", "tenant", t.Slug, "err", err)
			}
			w.cfg.Log.Debug("scheduler: nightly run not needed", "tenant", t.Slug, "slot", slot, "run", ref)
			continue
		}
		if _, err := w.client.RequestRun(tctx, store.RunRequest{Trigger: store.TriggerSchedule, Slot: slot}); err != nil {
			w.cfg.Log.Error("scheduler: request nightly run", "tenant", t.Slug, "err", err)
			continue
		}
		n++
	}
	return n, nil
}
