package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant/store"
)

// Queue is Scoring through the real queue: the run is recorded in Postgres
// (outbox), enqueued on Redis and performed by a separate `gomato worker`;
// the demo only polls the run's row.
type Queue struct {
	Client *jobs.Client
	// Timeout bounds the wait for one run (default 5 minutes). A worker
	// that is not running shows up here, with a hint.
	Timeout time.Duration
}

// ScoreAndWait requests a run of the context's tenant and waits for it.
func (q Queue) ScoreAndWait(ctx context.Context) (RunReport, error) {
	timeout := q.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	run, err := q.Client.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerDemo})
	if err != nil {
		return RunReport{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := q.Client.WaitRun(wctx, run.ID, 200*time.Millisecond)
	if err != nil {
		if wctx.Err() != nil && ctx.Err() == nil {
			return RunReport{}, fmt.Errorf("scoring run %s still %s after %s: is `gomato worker` running on the same Redis (GOMATO_REDIS_ADDR, GOMATO_REDIS_DB)?", run.ID, r.Status, timeout)
		}
		return RunReport{}, err
	}
	rep := RunReport{Status: r.Status, Error: r.Error, Scored: r.CustomersScored, Alerts: r.AlertsCreated, Model: r.Model, BacktestAUC: r.BacktestAUC}
	if r.StartedAt != nil && r.FinishedAt != nil {
		rep.Took = r.FinishedAt.Sub(*r.StartedAt)
	}
	return rep, nil
}
