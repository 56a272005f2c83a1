package main

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/gomato/gomato/jobs"
)

// workerVars are the worker's own settings, beside the shared config.
var workerVars = []configVar{
	{name: "GOMATO_SCHEDULER", def: "on", help: "on or off: campaign for the scheduler leader lock (nightly runs, outbox reconciler)"},
	{name: "GOMATO_SCHEDULER_TICK", def: "30s", help: "how often the scheduler leader looks at the clock and the outbox"},
	{name: "GOMATO_NIGHTLY_AT", def: "02:00", help: "local time of day (each tenant's time zone) after which the nightly scoring run is due, or off"},
	{name: "GOMATO_RECONCILE_GRACE", def: "15s", help: "age of pending outbox work before the reconciler re-enqueues it"},
	{name: "GOMATO_QUEUE_PREFIX", def: "", help: "prefix of the queue names (tests that share a Redis database); empty in production"},
}

func cmdWorker(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "worker", "worker\n\nRuns background tasks from Redis (GOMATO_REDIS_ADDR) until SIGINT or SIGTERM,\nthen finishes or requeues running tasks and exits. Metrics on GOMATO_WORKER_METRICS_ADDR.\nOne worker at a time (a Postgres leader lock) also schedules nightly scoring and\nre-enqueues outbox work whose task vanished.\n\nWorker environment:\n"+workerVarHelp())
	if err := fs.Parse(args); err != nil {
		return err
	}
	sched, err := schedulerConfig(env.getenv)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	logConfig(a.log, env.getenv, a.cfg)
	a.log.Info("worker configuration", "scheduler", sched.Enabled, "tick", sched.Tick, "nightly_at", sched.NightlyAt, "nightly_off", sched.NoNightly, "reconcile_grace", sched.ReconcileGrace, "queue_prefix", a.cfg.QueuePrefix)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	stop := serveMetrics(a, a.cfg.WorkerMetrics, reg)
	defer stop()
	w := jobs.NewWorker(jobs.WorkerConfig{RedisAddr: a.cfg.RedisAddr, RedisDB: a.cfg.RedisDB, Concurrency: a.cfg.WorkerConc, Log: a.log,
		DB: a.db, Registry: a.registry, Metrics: reg, Scheduler: sched, QueuePrefix: a.cfg.QueuePrefix})
	return w.Run(ctx)
}

func workerVarHelp() string {
	s := ""
	for _, v := range workerVars {
		s += fmt.Sprintf("  %-24s %s (default %q)\n", v.name, v.help, v.def)
	}
	return s
}

// schedulerConfig reads the worker's scheduler settings.
func schedulerConfig(getenv func(string) string) (jobs.SchedulerConfig, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, v := range workerVars {
			if v.name == name {
				return v.def
			}
		}
		return ""
	}
	var c jobs.SchedulerConfig
	switch get("GOMATO_SCHEDULER") {
	case "on":
		c.Enabled = true
	case "off":
	default:
		return c, fmt.Errorf("GOMATO_SCHEDULER: want on or off")
	}
	var err error
	if c.Tick, err = time.ParseDuration(get("GOMATO_SCHEDULER_TICK")); err != nil || c.Tick <= 0 {
		return c, fmt.Errorf("GOMATO_SCHEDULER_TICK: want a positive duration such as 30s")
	}
	if c.ReconcileGrace, err = time.ParseDuration(get("GOMATO_RECONCILE_GRACE")); err != nil || c.ReconcileGrace <= 0 {
		return c, fmt.Errorf("GOMATO_RECONCILE_GRACE: want a positive duration such as 15s")
	}
	if get("GOMATO_NIGHTLY_AT") == "off" {
		c.NoNightly = true
		return c, nil
	}
	at, err := time.Parse("15:04", get("GOMATO_NIGHTLY_AT"))
	if err != nil {
		return c, fmt.Errorf("GOMATO_NIGHTLY_AT: want a time of day such as 02:00")
	}
	c.NightlyAt = time.Duration(at.Hour())*time.Hour + time.Duration(at.Minute())*time.Minute
	return c, nil
}
