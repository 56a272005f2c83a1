package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/migrations"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/web"
)

func cmdServe(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "serve", "serve\n\nServes the JSON API under /api/v1, the web UI, /healthz and /readyz on GOMATO_ADDR,\nand Prometheus /metrics on GOMATO_METRICS_ADDR, until SIGINT or SIGTERM.")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	logConfig(a.log, env.getenv, a.cfg)
	rdb := redis.NewClient(&redis.Options{Addr: a.cfg.RedisAddr, DB: a.cfg.RedisDB})
	defer rdb.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	stopMetrics := serveMetrics(a, a.cfg.MetricsAddr, reg)
	defer stopMetrics()

	proxies, err := web.ParseTrustedProxies(a.cfg.TrustedProxies)
	if err != nil {
		return fmt.Errorf("GOMATO_TRUSTED_PROXIES: %w", err)
	}
	// Policy changes made by other replicas arrive through LISTEN/NOTIFY.
	az := authz.New(a.db, a.log)
	if err := az.Listen(ctx, a.cfg.DatabaseURL); err != nil {
		return fmt.Errorf("listen for policy changes: %w", err)
	}
	jc := jobs.NewClient(jobs.ClientConfig{RedisAddr: a.cfg.RedisAddr, RedisDB: a.cfg.RedisDB, DB: a.db, Log: a.log, QueuePrefix: a.cfg.QueuePrefix})
	defer jc.Close()
	queues := jobs.QueueDashboard(web.QueueDashboardPath, jobs.DashboardConfig{RedisAddr: a.cfg.RedisAddr, RedisDB: a.cfg.RedisDB})
	defer queues.Close()
	srv := web.New(web.Config{BaseDomain: a.cfg.BaseDomain, ControlVersion: tenant.Latest(migrations.Control), TrustedProxies: proxies},
		web.Deps{DB: a.db, Registry: a.registry, Redis: rdb, Log: a.log, Metrics: reg,
			Users: &tenant.Users{DB: a.db}, Audit: &tenant.Audit{DB: a.db}, Authz: az,
			Jobs: jc, Queues: queues})
	a.log.Info("serving", "addr", a.cfg.Addr)
	return srv.Listen(ctx, a.cfg.Addr)
}

// serveMetrics serves /metrics on its own listener, loopback by default,
// so that it is never exposed with the public API by accident.
func serveMetrics(a *app, addr string, reg *prometheus.Registry) func() {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := hs.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics listener", "addr", addr, "err", err)
		}
	}()
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}
}
