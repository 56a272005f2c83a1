package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/gomato/gomato/tenant"
)

func cmdTenant(ctx context.Context, args []string, env environ) error {
	sub := map[string]func(context.Context, []string, environ) error{
		"create": cmdTenantCreate, "list": cmdTenantList, "show": cmdTenantShow,
	}
	if len(args) == 0 || sub[args[0]] == nil {
		fmt.Fprintln(env.stderr, "Usage: gomato tenant create|list|show [flags]\n\n  create   provision a tenant: row, schema t_<id>, migrations\n  list     every tenant with its schema version\n  show     one tenant")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("tenant: want a subcommand")
	}
	return sub[args[0]](ctx, args[1:], env)
}

func cmdTenantCreate(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "tenant create", "tenant create --slug SLUG --name NAME [--locale fa|en] [--timezone ZONE] [--currency CODE] [--agency SLUG]")
	var n tenant.NewTenant
	fs.StringVar(&n.Slug, "slug", "", "3–40 lowercase letters, digits or hyphens (required)")
	fs.StringVar(&n.Name, "name", "", "the company's name (required)")
	fs.StringVar(&n.Locale, "locale", "en", "en or fa")
	fs.StringVar(&n.TimeZone, "timezone", "UTC", "IANA time zone, e.g. Asia/Tehran")
	fs.StringVar(&n.Currency, "currency", "USD", "ISO 4217 currency code, e.g. IRR")
	fs.StringVar(&n.AgencySlug, "agency", "", "the agency hosting the tenant")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.migrator.MigrateControl(ctx); err != nil {
		return err
	}
	start := time.Now()
	t, err := a.registry.CreateTenant(ctx, n)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "created tenant %s (%s), schema %s, in %s\n", t.Slug, t.ID, t.Schema, time.Since(start).Round(time.Millisecond))
	return nil
}

func cmdTenantList(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "tenant list", "tenant list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	ts, err := a.registry.Tenants(ctx, nil)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tSCHEMA\tVERSION\tLOCALE\tCURRENCY\tTIME ZONE\tSTATUS")
	for _, t := range ts {
		v, err := tenant.SchemaVersion(ctx, a.db, t.Schema)
		if err != nil {
			v = "error: " + err.Error()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Slug, t.Name, t.Schema, v, t.Locale, t.Currency, t.TimeZone, t.Status)
	}
	return tw.Flush()
}

func cmdTenantShow(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "tenant show", "tenant show SLUG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("tenant show: want one slug")
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.registry.TenantBySlug(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	v, _ := tenant.SchemaVersion(ctx, a.db, t.Schema)
	agency := "-"
	if t.AgencyID != nil {
		agency = t.AgencyID.String()
	}
	fmt.Fprintf(env.stdout, "slug:      %s\nname:      %s\nid:        %s\nagency:    %s\nschema:    %s (version %s)\nstatus:    %s\nlocale:    %s\ncurrency:  %s\ntime zone: %s\ncreated:   %s\n",
		t.Slug, t.Name, t.ID, agency, t.Schema, v, t.Status, t.Locale, t.Currency, t.TimeZone, t.CreatedAt.Format(time.RFC3339))
	return nil
}
