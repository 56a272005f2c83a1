package main

import (
	"context"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/migrations"
	"github.com/gomato/gomato/tenant"
)

// app is what most commands share: config, logger, database, registry.
type app struct {
	cfg      config
	log      *slog.Logger
	db       *sqlx.DB
	migrator *tenant.Migrator
	registry *tenant.Registry
}

func openApp(ctx context.Context, env environ) (*app, error) {
	cfg, err := loadConfig(env.getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, env.stderr)
	db, err := tenant.Open(ctx, cfg.DatabaseURL, tenant.DefaultPool)
	if err != nil {
		return nil, err
	}
	m := &tenant.Migrator{DB: db, Control: migrations.Control, Tenant: migrations.Tenant, Parallel: 4, Log: log}
	return &app{cfg: cfg, log: log, db: db, migrator: m, registry: &tenant.Registry{DB: db, Migrator: m}}, nil
}

func (a *app) Close() { a.db.Close() }
