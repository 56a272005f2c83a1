package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/gomato/gomato/tenant"
)

func cmdAgency(ctx context.Context, args []string, env environ) error {
	sub := map[string]func(context.Context, []string, environ) error{
		"create": cmdAgencyCreate, "list": cmdAgencyList,
	}
	if len(args) == 0 || sub[args[0]] == nil {
		fmt.Fprintln(env.stderr, "Usage: gomato agency create|list [flags]\n\n  create   register an agency, optionally with its admin\n  list     every agency")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("agency: want a subcommand")
	}
	return sub[args[0]](ctx, args[1:], env)
}

func cmdAgencyCreate(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "agency create", "agency create --slug S --name N [--admin EMAIL]")
	slug := fs.String("slug", "", "3–40 lowercase letters, digits or hyphens (required)")
	name := fs.String("name", "", "the agency's name (required)")
	admin := fs.String("admin", "", "email of an existing user to make the agency's admin")
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
	users := &tenant.Users{DB: a.db}
	var adminID string
	if *admin != "" {
		// Look the admin up first, so that a typo creates nothing.
		u, err := users.ByEmail(ctx, *admin)
		if err != nil {
			return fmt.Errorf("--admin %s: %w", *admin, err)
		}
		adminID = u.ID.String()
		ag, err := a.registry.CreateAgency(ctx, *slug, *name)
		if err != nil {
			return err
		}
		if err := users.AddAgencyAdmin(ctx, ag.ID, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "created agency %s (%s) with admin %s (%s)\n", ag.Slug, ag.ID, u.Email, adminID)
	} else {
		ag, err := a.registry.CreateAgency(ctx, *slug, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "created agency %s (%s)\n", ag.Slug, ag.ID)
	}
	return (&tenant.Audit{DB: a.db}).Record(ctx, tenant.AuditEvent{ActorEmail: "cli", Action: tenant.AuditAgencyCreate, Target: *slug,
		Detail: map[string]any{"admin": *admin}})
}

func cmdAgencyList(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "agency list", "agency list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	as, err := a.registry.Agencies(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SLUG\tNAME\tID")
	for _, ag := range as {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ag.Slug, ag.Name, ag.ID)
	}
	return tw.Flush()
}
