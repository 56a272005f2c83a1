package main

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
)

// config is the installation's configuration, read once from GOMATO_*.
type config struct {
	DatabaseURL    string
	RedisAddr      string
	RedisDB        int
	Addr           string
	MetricsAddr    string
	WorkerMetrics  string
	BaseDomain     string
	LogLevel       string
	TrustedProxies string
	WorkerConc     int
	QueuePrefix    string
}

type configVar struct {
	name, def, help string
	secret          bool
}

var configVars = []configVar{
	{name: "GOMATO_DATABASE_URL", def: "postgres://postgres@127.0.0.1:5432/gomato?sslmode=disable", help: "Postgres URL", secret: true},
	{name: "GOMATO_REDIS_ADDR", def: "127.0.0.1:6379", help: "Redis address"},
	{name: "GOMATO_REDIS_DB", def: "0", help: "Redis database number"},
	{name: "GOMATO_ADDR", def: ":8080", help: "HTTP listen address"},
	{name: "GOMATO_METRICS_ADDR", def: "127.0.0.1:9090", help: "Prometheus /metrics listen address"},
	{name: "GOMATO_WORKER_METRICS_ADDR", def: "127.0.0.1:9091", help: "the worker's Prometheus /metrics listen address"},
	{name: "GOMATO_BASE_DOMAIN", def: "", help: "API clients may name the tenant by host <slug>.<domain>"},
	{name: "GOMATO_TRUSTED_PROXIES", def: "", help: "comma-separated proxy IPs/CIDRs whose X-Forwarded-* headers are trusted"},
	{name: "GOMATO_LOG_LEVEL", def: "info", help: "debug, info, warn or error"},
	{name: "GOMATO_WORKER_CONCURRENCY", def: "4", help: "tasks the worker runs at once"},
	{name: "GOMATO_QUEUE_PREFIX", def: "", help: "prefix of the queue names, so installations can share one Redis database"},
}

func loadConfig(getenv func(string) string) (config, error) {
	get := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, v := range configVars {
			if v.name == name {
				return v.def
			}
		}
		return ""
	}
	c := config{
		DatabaseURL:    get("GOMATO_DATABASE_URL"),
		RedisAddr:      get("GOMATO_REDIS_ADDR"),
		Addr:           get("GOMATO_ADDR"),
		MetricsAddr:    get("GOMATO_METRICS_ADDR"),
		WorkerMetrics:  get("GOMATO_WORKER_METRICS_ADDR"),
		BaseDomain:     get("GOMATO_BASE_DOMAIN"),
		LogLevel:       get("GOMATO_LOG_LEVEL"),
		TrustedProxies: get("GOMATO_TRUSTED_PROXIES"),
		QueuePrefix:    get("GOMATO_QUEUE_PREFIX"),
	}
	var err error
	if c.RedisDB, err = strconv.Atoi(get("GOMATO_REDIS_DB")); err != nil {
		return c, fmt.Errorf("GOMATO_REDIS_DB: %w", err)
	}
	if c.WorkerConc, err = strconv.Atoi(get("GOMATO_WORKER_CONCURRENCY")); err != nil {
		return c, fmt.Errorf("GOMATO_WORKER_CONCURRENCY: %w", err)
	}
	return c, nil
}

// logConfig logs the configuration with secrets masked.
func logConfig(log *slog.Logger, getenv func(string) string, c config) {
	attrs := []any{}
	values := map[string]string{
		"GOMATO_DATABASE_URL": maskURL(c.DatabaseURL), "GOMATO_REDIS_ADDR": c.RedisAddr,
		"GOMATO_REDIS_DB": strconv.Itoa(c.RedisDB), "GOMATO_ADDR": c.Addr, "GOMATO_METRICS_ADDR": c.MetricsAddr, "GOMATO_WORKER_METRICS_ADDR": c.WorkerMetrics,
		"GOMATO_BASE_DOMAIN": c.BaseDomain, "GOMATO_TRUSTED_PROXIES": c.TrustedProxies, "GOMATO_LOG_LEVEL": c.LogLevel,
		"GOMATO_WORKER_CONCURRENCY": strconv.Itoa(c.WorkerConc), "GOMATO_QUEUE_PREFIX": c.QueuePrefix,
	}
	for _, v := range configVars {
		attrs = append(attrs, v.name, values[v.name])
	}
	log.Info("configuration", attrs...)
}

// maskURL hides a URL's password.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "***"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.String()
}
