package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gomato/gomato/core"
)

// ErrBusy reports that another worker holds the lock the task needs; the
// task is retried shortly and the attempt is not counted as a failure.
var ErrBusy = errors.New("jobs: busy: another worker holds the lock")

// ErrNoTenant is returned for a task whose payload names no tenant: every
// task carries its tenant, and one without is refused, never retried.
var ErrNoTenant = errors.New("jobs: task payload names no tenant")

// tenantPayload is the part every payload shares.
type tenantPayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// bindTenant reads the tenant id from the payload, loads the tenant and
// binds it (with the system actor) to the handler's context. A task
// without a tenant, or naming one that no longer exists, is refused and
// not retried.
func (w *Worker) bindTenant(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p tenantPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.TenantID == uuid.Nil {
			return fmt.Errorf("%w: %w", ErrNoTenant, asynq.SkipRetry)
		}
		if w.cfg.Registry == nil {
			return fmt.Errorf("jobs: no registry to resolve tenant %s: %w", p.TenantID, asynq.SkipRetry)
		}
		tn, err := w.cfg.Registry.TenantByID(ctx, p.TenantID)
		if core.ErrorCode(err) == core.CodeNotFound {
			return fmt.Errorf("tenant %s no longer exists: %w", p.TenantID, asynq.SkipRetry)
		}
		if err != nil {
			return err
		}
		ctx = core.WithActor(core.WithTenant(ctx, tn), core.SystemActor)
		return next.ProcessTask(ctx, t)
	})
}

// taskMetrics are the per-task-type Prometheus metrics.
type taskMetrics struct {
	processed *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	running   *prometheus.GaugeVec
}

func newTaskMetrics(reg prometheus.Registerer) *taskMetrics {
	m := &taskMetrics{
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gomato_jobs_processed_total",
			Help: "Tasks processed, by type and outcome (ok, failed, busy, refused).",
		}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gomato_jobs_duration_seconds",
			Help:    "Task run time, by type.",
			Buckets: []float64{.01, .05, .1, .5, 1, 2, 5, 10, 30, 60, 120, 300},
		}, []string{"type"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gomato_jobs_running",
			Help: "Tasks running now, by type.",
		}, []string{"type"}),
	}
	for _, c := range []prometheus.Collector{m.processed, m.duration, m.running} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				panic(err)
			}
		}
	}
	return m
}

// observe records metrics and logs every task with its id, type and
// tenant (the payload's tenant id; never the payload itself).
func (w *Worker) observe(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		typ := t.Type()
		id, _ := asynq.GetTaskID(ctx)
		retry, _ := asynq.GetRetryCount(ctx)
		var p tenantPayload
		_ = json.Unmarshal(t.Payload(), &p)
		log := w.cfg.Log.With("task_type", typ, "task_id", id, "tenant_id", p.TenantID, "retry", retry)
		w.metrics.running.WithLabelValues(typ).Inc()
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		el := time.Since(start)
		w.metrics.running.WithLabelValues(typ).Dec()
		w.metrics.duration.WithLabelValues(typ).Observe(el.Seconds())
		outcome := "ok"
		switch {
		case err == nil:
			log.Info("task done", "ms", el.Milliseconds())
		case errors.Is(err, ErrBusy):
			outcome = "busy"
			log.Debug("task busy, retrying", "err", err)
		case errors.Is(err, asynq.SkipRetry):
			outcome = "refused"
			log.Error("task refused", "ms", el.Milliseconds(), "err", err)
		default:
			outcome = "failed"
			log.Error("task failed", "ms", el.Milliseconds(), "err", err)
		}
		w.metrics.processed.WithLabelValues(typ, outcome).Inc()
		return err
	})
}
