package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/cmd/gomato/demo"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant"
)

func cmdDemo(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "demo", "demo [--reset] [--data DIR]\n\n"+
		"Builds the demo: the agency \"Demo Agency\" with three tenants loaded from the real\n"+
		"datasets in DIR (an online retailer from UCI Online Retail, a Persian music store\n"+
		"from CDNOW, a telecom from the IBM Telco churn sample), a user per role, and a\n"+
		"scoring run per tenant through the queue: a `gomato worker` must be running on the\n"+
		"same Redis. Passwords are new on every run and printed once at the end. A second\n"+
		"run loads nothing twice; --reset drops and recreates the demo tenants.")
	reset := fs.Bool("reset", false, "drop and recreate the demo tenants")
	data := fs.String("data", "testdata", "directory holding the datasets (the repository's testdata/)")
	timeout := fs.Duration("timeout", 5*time.Minute, "longest wait for one tenant's scoring run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	if err := demo.CheckData(*data, demo.Tenants); err != nil {
		return err
	}
	start := time.Now()
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.migrator.MigrateControl(ctx); err != nil {
		return fmt.Errorf("control schema: %w", err)
	}
	client := jobs.NewClient(jobs.ClientConfig{RedisAddr: a.cfg.RedisAddr, RedisDB: a.cfg.RedisDB, DB: a.db, Log: a.log, QueuePrefix: a.cfg.QueuePrefix})
	defer client.Close()
	sum, err := demo.Run(ctx, demo.Config{
		DB:       a.db,
		Registry: a.registry,
		Accounts: demo.ControlPlane{Users: &tenant.Users{DB: a.db}, Authz: authz.New(a.db, a.log)},
		Scoring:  demo.Queue{Client: client, Timeout: *timeout},
		DataDir:  *data,
		Reset:    *reset,
		Out:      env.stdout,
	})
	if sum != nil {
		fmt.Fprintln(env.stdout)
		sum.Took = time.Since(start)
		sum.Print(env.stdout)
	}
	return err
}
