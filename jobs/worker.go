package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// Queues and their priorities: critical work (alerts) first, scoring in
// default, bulk and maintenance in low.
var Queues = map[string]int{"critical": 6, "default": 3, "low": 1}

// WorkerConfig configures the asynq server.
type WorkerConfig struct {
	RedisAddr   string
	RedisDB     int
	Concurrency int
	Log         *slog.Logger
}

// Worker runs background tasks until its context ends.
type Worker struct {
	cfg WorkerConfig
	mux *asynq.ServeMux
}

// NewWorker builds a worker; handlers are registered on its mux.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Worker{cfg: cfg, mux: asynq.NewServeMux()}
}

// Run serves tasks until ctx is cancelled, then shuts down gracefully:
// running tasks get ShutdownTimeout to finish before asynq requeues them.
func (w *Worker) Run(ctx context.Context) error {
	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: w.cfg.RedisAddr, DB: w.cfg.RedisDB}, asynq.Config{
		Concurrency:     w.cfg.Concurrency,
		Queues:          Queues,
		ShutdownTimeout: 25 * time.Second,
		Logger:          slogAdapter{w.cfg.Log},
	})
	if err := srv.Start(w.mux); err != nil {
		return err
	}
	w.cfg.Log.Info("worker started", "redis", w.cfg.RedisAddr, "concurrency", w.cfg.Concurrency)
	<-ctx.Done()
	srv.Shutdown()
	w.cfg.Log.Info("worker stopped")
	return nil
}

// slogAdapter lets asynq log through slog.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Debug(args ...any) { a.l.Debug(join(args)) }
func (a slogAdapter) Info(args ...any)  { a.l.Info(join(args)) }
func (a slogAdapter) Warn(args ...any)  { a.l.Warn(join(args)) }
func (a slogAdapter) Error(args ...any) { a.l.Error(join(args)) }
func (a slogAdapter) Fatal(args ...any) { a.l.Error(join(args)) }

func join(args []any) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		if str, ok := a.(string); ok {
			s += str
		} else {
			s += slog.AnyValue(a).String()
		}
	}
	return s
}
