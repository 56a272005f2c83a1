package jobs

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/store"
)

// Queues and their priorities: critical work (alerts) first, scoring in
// default, bulk and maintenance in low.
var Queues = map[string]int{"critical": 6, "default": 3, "low": 1}

// WorkerConfig configures the asynq server and what runs beside it.
type WorkerConfig struct {
	RedisAddr   string
	RedisDB     int
	Concurrency int
	Log         *slog.Logger
	// DB and Registry give handlers the tenant data and the control plane.
	DB       *sqlx.DB
	Registry *tenant.Registry
	// Metrics is where the per-task-type metrics are registered; nil means
	// a private registry.
	Metrics prometheus.Registerer
	// Scheduler configures the periodic scheduler and the outbox
	// reconciler; only the worker holding the leader lock runs them.
	Scheduler SchedulerConfig
	// Scoring tunes scoring runs.
	Scoring ScoringConfig
	// ShutdownTimeout is how long running tasks get to finish on shutdown
	// before asynq requeues them (default 25 s).
	ShutdownTimeout time.Duration
	// QueuePrefix is prepended to every queue name. Empty in production
	// (one installation per Redis database); benchmarks use one so they
	// can share a Redis database with tests without taking their tasks.
	QueuePrefix string
}

// Worker runs background tasks until its context ends.
type Worker struct {
	cfg     WorkerConfig
	mux     *asynq.ServeMux
	store   *store.Store
	client  *Client
	metrics *taskMetrics
	// scoreHook, when set (tests), runs inside every scoring run before
	// its scores are written.
	scoreHook func(ctx context.Context, run store.ScoringRun) error
}

// NewWorker builds a worker with every handler registered.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	cfg.Scheduler.defaults()
	cfg.Scoring.defaults()
	w := &Worker{cfg: cfg, mux: asynq.NewServeMux(), metrics: newTaskMetrics(cfg.Metrics)}
	if cfg.DB != nil {
		w.store = store.New(cfg.DB)
		w.client = NewClient(ClientConfig{RedisAddr: cfg.RedisAddr, RedisDB: cfg.RedisDB, DB: cfg.DB, Log: cfg.Log, QueuePrefix: cfg.QueuePrefix})
	}
	w.mux.Use(w.observe, w.bindTenant)
	w.mux.HandleFunc(store.TaskScoringRun, w.handleScoringRun)
	w.mux.HandleFunc(store.TaskImportRun, w.handleImportRun)
	return w
}

// Run serves tasks until ctx is cancelled, then shuts down gracefully:
// running tasks get ShutdownTimeout to finish before asynq requeues them.
// Beside the server it campaigns for the leader lock and, while leader,
// runs the scheduler and the outbox reconciler.
func (w *Worker) Run(ctx context.Context) error {
	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: w.cfg.RedisAddr, DB: w.cfg.RedisDB}, asynq.Config{
		Concurrency:              w.cfg.Concurrency,
		Queues:                   w.cfg.queues(),
		ShutdownTimeout:          w.cfg.ShutdownTimeout,
		Logger:                   slogAdapter{w.cfg.Log},
		RetryDelayFunc:           retryDelay,
		IsFailure:                func(err error) bool { return !errors.Is(err, ErrBusy) },
		DelayedTaskCheckInterval: time.Second,
	})
	if err := srv.Start(w.mux); err != nil {
		return err
	}
	w.cfg.Log.Info("worker started", "redis", w.cfg.RedisAddr, "redis_db", w.cfg.RedisDB, "concurrency", w.cfg.Concurrency,
		"scheduler", w.cfg.Scheduler.Enabled)
	var wg sync.WaitGroup
	if w.cfg.Scheduler.Enabled && w.cfg.DB != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.lead(ctx)
		}()
	}
	<-ctx.Done()
	srv.Shutdown()
	wg.Wait()
	if w.client != nil {
		w.client.Close()
	}
	w.cfg.Log.Info("worker stopped")
	return nil
}

func (c WorkerConfig) queues() map[string]int {
	q := make(map[string]int, len(Queues))
	for k, v := range Queues {
		q[c.QueuePrefix+k] = v
	}
	return q
}

// retryDelay backs off exponentially from one second up to a minute; a
// busy task (another worker holds its lock) retries after a second and
// does not count as a failure.
func retryDelay(n int, err error, _ *asynq.Task) time.Duration {
	if errors.Is(err, ErrBusy) {
		return time.Second
	}
	d := time.Duration(1<<min(n, 6)) * time.Second
	return d + time.Duration(rand.Int64N(int64(d/2)+1))
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(join(args)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(join(args)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(join(args)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(join(args)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(join(args)) }

func join(args []any) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if str, ok := a.(string); ok {
			b.WriteString(str)
		} else {
			b.WriteString(slog.AnyValue(a).String())
		}
	}
	return b.String()
}
