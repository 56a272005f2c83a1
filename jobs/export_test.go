package jobs

import (
	"context"

	"github.com/gomato/gomato/tenant/store"
)

// SetScoreHook makes every scoring run of w call hook before it writes.
// Set it before the worker takes tasks.
func SetScoreHook(w *Worker, hook func(ctx context.Context, run store.ScoringRun) error) { w.scoreHook = hook }
