package main

import (
	"context"
	"fmt"
	"time"
)

func cmdMigrate(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "migrate", "migrate [--parallel N]\n\nApplies pending control-schema migrations, then every tenant's, N tenants at a time.\nSafe to re-run; a failed tenant is named and the next run resumes it.")
	par := fs.Int("parallel", 4, "tenant schemas migrated at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	a.migrator.Parallel = *par
	start := time.Now()
	n, err := a.migrator.MigrateControl(ctx)
	if err != nil {
		return fmt.Errorf("control schema: %w", err)
	}
	fmt.Fprintf(env.stdout, "control: %d migration(s) applied\n", n)
	res, err := a.migrator.MigrateAll(ctx)
	applied, failed := 0, 0
	for _, r := range res {
		applied += r.Applied
		if r.Err != nil {
			failed++
			fmt.Fprintf(env.stdout, "FAILED %s\n", r.Err)
		}
	}
	fmt.Fprintf(env.stdout, "tenants: %d, migrations applied: %d, failed: %d, took %s\n", len(res), applied, failed, time.Since(start).Round(time.Millisecond))
	return err
}
