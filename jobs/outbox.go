package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/gomato/gomato/tenant/store"
)

// reconciler re-enqueues outbox work whose task vanished. It runs only in
// the leader. For every pending row older than the grace period it
// enqueues the row's current attempt under its deterministic task id:
//   - if asynq accepts it, the task had vanished (Redis flushed or
//     restarted) and is back;
//   - if asynq already holds it, the work is queued, retrying or running —
//     unless the task is "active" while nobody holds the row's lock, which
//     means the worker running it died (SIGKILL); asynq would only notice
//     after its lease expires (a minute or more), so once that state has
//     lasted the grace period the row moves to its next attempt, whose
//     task id is new. The dead attempt's task, when asynq recovers it,
//     finds the work done and does nothing.
type reconciler struct {
	w *Worker
	// stuck remembers since when an attempt looked orphaned.
	stuck map[string]time.Time
}

type outboxRow struct {
	ID        uuid.UUID       `db:"id"`
	TenantID  uuid.UUID       `db:"tenant_id"`
	Kind      string          `db:"kind"`
	Ref       uuid.UUID       `db:"ref"`
	Queue     string          `db:"queue"`
	Payload   json.RawMessage `db:"payload"`
	LockKey   string          `db:"lock_key"`
	Attempt   int             `db:"attempt"`
	NotBefore time.Time       `db:"not_before"`
}

func (r outboxRow) row() store.OutboxRow {
	return store.OutboxRow{ID: r.ID, TenantID: r.TenantID, Kind: r.Kind, Ref: r.Ref, Queue: r.Queue, Payload: r.Payload,
		LockKey: r.LockKey, Attempt: r.Attempt, NotBefore: r.NotBefore}
}

// tick reconciles once and returns how many rows it enqueued.
func (rc *reconciler) tick(ctx context.Context) (int, error) {
	w := rc.w
	grace := w.cfg.Scheduler.ReconcileGrace
	var rows []outboxRow
	if err := w.cfg.DB.SelectContext(ctx, &rows, `
		select id, tenant_id, kind, ref, queue, payload, lock_key, attempt, not_before from control.outbox
		where status = 'pending' and greatest(created_at, not_before, coalesce(enqueued_at, created_at)) < now() - make_interval(secs => $1)
		order by created_at limit 1000`, grace.Seconds()); err != nil {
		return 0, err
	}
	if rc.stuck == nil {
		rc.stuck = map[string]time.Time{}
	}
	seen := map[string]bool{}
	n := 0
	for _, r := range rows {
		id := taskID(r.Kind, r.Ref, r.Attempt)
		seen[id] = true
		err := w.client.enqueue(ctx, r.row())
		if err == nil {
			n++
			w.cfg.Log.Warn("outbox: task had vanished, enqueued again", "task_id", id, "tenant_id", r.TenantID)
			continue
		}
		if !errors.Is(err, errAlreadyQueued) {
			w.cfg.Log.Error("outbox: enqueue", "task_id", id, "err", err)
			continue
		}
		info, err := w.client.insp.GetTaskInfo(w.cfg.QueuePrefix+r.Queue, id)
		if err != nil {
			delete(rc.stuck, id)
			continue
		}
		switch info.State {
		case asynq.TaskStateArchived:
			// asynq gave up on the attempt (retries exhausted, or a lease
			// that expired too often) while the work is still pending:
			// start the next attempt; the handler bounds attempts.
		case asynq.TaskStateActive:
			free, err := lockFree(ctx, w.cfg.DB, r.LockKey)
			if err != nil || !free {
				delete(rc.stuck, id)
				continue
			}
			since, ok := rc.stuck[id]
			if !ok {
				rc.stuck[id] = time.Now()
				continue
			}
			if time.Since(since) < grace {
				continue
			}
		default:
			delete(rc.stuck, id)
			continue
		}
		delete(rc.stuck, id)
		res, err := w.cfg.DB.ExecContext(ctx, `update control.outbox set attempt = attempt + 1 where id = $1 and attempt = $2 and status = 'pending'`, r.ID, r.Attempt)
		if err != nil {
			w.cfg.Log.Error("outbox: next attempt", "task_id", id, "err", err)
			continue
		}
		if k, _ := res.RowsAffected(); k != 1 {
			continue
		}
		r.Attempt++
		r.NotBefore = time.Time{}
		if err := w.client.enqueue(ctx, r.row()); err != nil && !errors.Is(err, errAlreadyQueued) {
			w.cfg.Log.Error("outbox: enqueue next attempt", "task_id", taskID(r.Kind, r.Ref, r.Attempt), "err", err)
			continue
		}
		n++
		w.cfg.Log.Warn("outbox: worker running the task died; started the next attempt", "dead_task_id", id,
			"task_id", taskID(r.Kind, r.Ref, r.Attempt), "tenant_id", r.TenantID)
	}
	for id := range rc.stuck {
		if !seen[id] {
			delete(rc.stuck, id)
		}
	}
	return n, nil
}
