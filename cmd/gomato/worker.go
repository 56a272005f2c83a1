package main

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gomato/gomato/jobs"
)

func cmdWorker(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "worker", "worker\n\nRuns background tasks from Redis (GOMATO_REDIS_ADDR) until SIGINT or SIGTERM,\nthen finishes or requeues running tasks and exits. Metrics on GOMATO_WORKER_METRICS_ADDR.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	logConfig(a.log, env.getenv, a.cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	stop := serveMetrics(a, a.cfg.WorkerMetrics, reg)
	defer stop()
	w := jobs.NewWorker(jobs.WorkerConfig{RedisAddr: a.cfg.RedisAddr, RedisDB: a.cfg.RedisDB, Concurrency: a.cfg.WorkerConc, Log: a.log})
	return w.Run(ctx)
}
