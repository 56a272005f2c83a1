package jobs

import (
	"context"
	"github.com/hibiken/asynq"

	"github.com/gomato/gomato/tenant/store"
)

// SetScoreHook makes every scoring run of w call hook before it writes.
// Set it before the worker takes tasks.
func SetScoreHook(w *Worker, hook func(ctx context.Context, run store.ScoringRun) error) {
	w.scoreHook = hook
}

// Handler exposes the worker's task mux (middleware included) so tests
// can hand it tasks directly.
func Handler(w *Worker) asynq.Handler { return w.mux }
