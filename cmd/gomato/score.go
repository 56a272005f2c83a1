package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant/store"
)

func cmdScore(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "score", "score --tenant SLUG [--as-of YYYY-MM-DD] [--wait] [--timeout 30m]\n\n"+
		"Requests a scoring run of the tenant (it joins the run already waiting, if any). A worker\n"+
		"(`gomato worker`) performs it. With --as-of, scores as of the end of that day using only\n"+
		"the data up to it. With --wait, waits for the run to end and prints its figures.")
	slug := fs.String("tenant", "", "the tenant's slug (required)")
	asOf := fs.String("as-of", "", "score as of the end of this day (YYYY-MM-DD, the tenant's time zone)")
	wait := fs.Bool("wait", false, "wait until the run is done or failed")
	timeout := fs.Duration("timeout", 30*time.Minute, "how long --wait waits")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *slug == "" {
		return core.Invalid(map[string]string{"--tenant": "required"})
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("score: unexpected argument %q", fs.Arg(0))
	}
	req := store.RunRequest{Trigger: store.TriggerCLI}
	if *asOf != "" {
		d, err := store.ParseRunDate(strings.TrimSpace(core.FoldDigits(*asOf)))
		if err != nil {
			return core.Invalid(map[string]string{"--as-of": "use a date as YYYY-MM-DD"})
		}
		req.AsOf = &d
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.registry.TenantBySlug(ctx, *slug)
	if err != nil {
		return err
	}
	tctx := core.WithActor(core.WithTenant(ctx, t), core.SystemActor)
	client := jobs.NewClient(jobs.ClientConfig{RedisAddr: a.cfg.RedisAddr, RedisDB: a.cfg.RedisDB, DB: a.db, Log: a.log,
		QueuePrefix: a.cfg.QueuePrefix})
	defer client.Close()
	run, err := client.RequestRun(tctx, req)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "scoring run %s of %s: %s\n", run.ID, t.Slug, run.Status)
	if !*wait {
		return nil
	}
	wctx, cancel := context.WithTimeout(tctx, *timeout)
	defer cancel()
	run, err = client.WaitRun(wctx, run.ID, 250*time.Millisecond)
	if err != nil {
		return fmt.Errorf("waiting for run %s (is a worker running?): %w", run.ID, err)
	}
	if run.Status == store.RunFailed {
		return fmt.Errorf("scoring run %s failed: %s", run.ID, run.Error)
	}
	took := run.FinishedAt.Sub(*run.StartedAt).Round(time.Millisecond)
	l := run.Levels
	fmt.Fprintf(env.stdout, "done in %s: %d customers scored; risk low %d, medium %d, high %d; CLV %s %s, revenue at risk %s %s; %d alerts\n",
		took, run.CustomersScored, l.Low.Customers, l.Medium.Customers, l.High.Customers,
		core.FormatMoney(run.CLVTotal, run.Currency), run.Currency, core.FormatMoney(run.RevenueAtRisk, run.Currency), run.Currency, run.AlertsCreated)
	return nil
}
