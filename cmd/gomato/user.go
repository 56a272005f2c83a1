package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/tenant"
)

func cmdUser(ctx context.Context, args []string, env environ) error {
	sub := map[string]func(context.Context, []string, environ) error{
		"create": cmdUserCreate, "grant": cmdUserGrant, "revoke": cmdUserRevoke,
	}
	if len(args) == 0 || sub[args[0]] == nil {
		fmt.Fprintln(env.stderr, "Usage: gomato user create|grant|revoke [flags]\n\n  create   add a user (password read from stdin)\n  grant    give a user a role in a tenant (makes them a member)\n  revoke   take a role from a user in a tenant")
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
			return nil
		}
		return fmt.Errorf("user: want a subcommand")
	}
	return sub[args[0]](ctx, args[1:], env)
}

func cmdUserCreate(ctx context.Context, args []string, env environ) error {
	fs := newFlags(env, "user create", "user create --email E --name N --password-stdin [--operator] [--locale en|fa]")
	var n tenant.NewUser
	var fromStdin bool
	fs.StringVar(&n.Email, "email", "", "email address, used to sign in (required)")
	fs.StringVar(&n.Name, "name", "", "display name (required)")
	fs.StringVar(&n.Locale, "locale", "en", "en or fa")
	fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of stdin")
	fs.BoolVar(&n.Operator, "operator", false, "make the user a platform operator")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !fromStdin {
		fs.Usage()
		return fmt.Errorf("user create: pass --password-stdin (passwords never go on the command line)")
	}
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("user create: read the password from stdin: %w", err)
	}
	n.Password = strings.TrimRight(line, "\r\n")
	if n.Password == "" {
		return fmt.Errorf("user create: the password on stdin is empty")
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	if _, err := a.migrator.MigrateControl(ctx); err != nil {
		return err
	}
	u, err := (&tenant.Users{DB: a.db}).Create(ctx, n)
	if err != nil {
		return err
	}
	kind := "user"
	if u.Operator {
		kind = "platform operator"
	}
	fmt.Fprintf(env.stdout, "created %s %s (%s)\n", kind, u.Email, u.ID)
	return nil
}

func grantFlags(env environ, name string) (*flag.FlagSet, *string, *string, *string) {
	fs := newFlags(env, "user "+name, "user "+name+" --email E --tenant SLUG --role ROLE")
	email := fs.String("email", "", "the user's email (required)")
	slug := fs.String("tenant", "", "the tenant's slug (required)")
	role := fs.String("role", "", "tenant_admin, manager, sales, support or a custom role (required)")
	return fs, email, slug, role
}

func cmdUserGrant(ctx context.Context, args []string, env environ) error {
	return userRole(ctx, args, env, "grant")
}

func cmdUserRevoke(ctx context.Context, args []string, env environ) error {
	return userRole(ctx, args, env, "revoke")
}

func userRole(ctx context.Context, args []string, env environ, verb string) error {
	fs, email, slug, role := grantFlags(env, verb)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *slug == "" || *role == "" {
		fs.Usage()
		return fmt.Errorf("user %s: --email, --tenant and --role are required", verb)
	}
	a, err := openApp(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	users := &tenant.Users{DB: a.db}
	u, err := users.ByEmail(ctx, *email)
	if err != nil {
		return err
	}
	t, err := a.registry.TenantBySlug(ctx, *slug)
	if err != nil {
		return err
	}
	az := authz.New(a.db, a.log)
	action := tenant.AuditGrant
	if verb == "grant" {
		if err := az.AddMember(ctx, t.ID, u.ID); err != nil {
			return err
		}
		err = az.Grant(ctx, t.ID, u.ID, *role)
	} else {
		action = tenant.AuditRevoke
		err = az.Revoke(ctx, t.ID, u.ID, *role)
	}
	if err != nil {
		return err
	}
	if err := (&tenant.Audit{DB: a.db}).Record(ctx, tenant.AuditEvent{TenantID: &t.ID, ActorEmail: "cli", Action: action,
		Target: u.ID.String(), Detail: map[string]any{"role": *role, "email": u.Email}}); err != nil {
		return err
	}
	if verb == "grant" {
		fmt.Fprintf(env.stdout, "granted %s to %s in %s\n", *role, u.Email, t.Slug)
	} else {
		fmt.Fprintf(env.stdout, "revoked %s from %s in %s\n", *role, u.Email, t.Slug)
	}
	return nil
}
