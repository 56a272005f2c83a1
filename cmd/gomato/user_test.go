package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

func testEnv(url string, stdin string) (environ, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return environ{
		getenv: func(k string) string {
			if k == "GOMATO_DATABASE_URL" {
				return url
			}
			return ""
		},
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
	}, &out, &errb
}

// TestUserAndAgencyCommands: the CLI bootstrap — create an operator and a
// user, grant and revoke a role, create an agency with its admin and a
// tenant in it. The password never appears in any output.
func TestUserAndAgencyCommands(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	const pw = "correct horse battery staple"
	run1 := func(stdin string, args ...string) string {
		t.Helper()
		e, out, errb := testEnv(env.URL, stdin)
		if err := run(ctx, args, e); err != nil {
			t.Fatalf("gomato %s: %v\n%s", strings.Join(args, " "), err, errb)
		}
		if strings.Contains(out.String()+errb.String(), pw) {
			t.Fatalf("gomato %s printed the password", strings.Join(args, " "))
		}
		return out.String()
	}
	run1(pw+"\n", "user", "create", "--email", "Ops@Example.test", "--name", "عملیات", "--password-stdin", "--operator")
	run1(pw+"\n", "user", "create", "--email", "sara@example.test", "--name", "سارا", "--password-stdin", "--locale", "fa")
	run1("", "tenant", "create", "--slug", "acme-cli", "--name", "Acme")
	run1("", "user", "grant", "--email", "SARA@example.test", "--tenant", "acme-cli", "--role", "sales")

	users := &tenant.Users{DB: env.DB}
	ops, err := users.CheckPassword(ctx, "ops@example.test", pw)
	if err != nil || !ops.Operator {
		t.Fatalf("operator sign-in: %+v, %v", ops, err)
	}
	sara, err := users.ByEmail(ctx, "sara@example.test")
	if err != nil {
		t.Fatal(err)
	}
	tn, err := env.Registry.TenantBySlug(ctx, "acme-cli")
	if err != nil {
		t.Fatal(err)
	}
	az := authz.New(env.DB, nil)
	if ok, _ := az.Enforce(ctx, tn.ID, sara.ID, authz.P(authz.Contracts, authz.Create)); !ok {
		t.Fatal("granted sales, yet sara may not create contracts")
	}
	run1("", "user", "revoke", "--email", "sara@example.test", "--tenant", "acme-cli", "--role", "sales")
	if ok, _ := authz.New(env.DB, nil).Enforce(ctx, tn.ID, sara.ID, authz.P(authz.Contracts, authz.Create)); ok {
		t.Fatal("revoked sales, yet sara may still create contracts")
	}

	run1("", "agency", "create", "--slug", "agency-cli", "--name", "Agency", "--admin", "sara@example.test")
	run1("", "tenant", "create", "--slug", "client-cli", "--name", "Client", "--agency", "agency-cli")
	ag, err := env.Registry.AgencyBySlug(ctx, "agency-cli")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := users.IsAgencyAdmin(ctx, ag.ID, sara.ID); !ok {
		t.Fatal("--admin did not make sara the agency's admin")
	}
	client, _ := env.Registry.TenantBySlug(ctx, "client-cli")
	if client.AgencyID == nil || *client.AgencyID != ag.ID {
		t.Fatalf("tenant --agency: agency %v, want %s", client.AgencyID, ag.ID)
	}

	// A password on the command line is refused; an unknown admin creates nothing.
	e, _, _ := testEnv(env.URL, "")
	if err := run(ctx, []string{"user", "create", "--email", "x@example.test", "--name", "X"}, e); err == nil {
		t.Fatal("user create without --password-stdin succeeded")
	}
	if err := run(ctx, []string{"agency", "create", "--slug", "ghost-agency", "--name", "G", "--admin", "nobody@example.test"}, e); err == nil {
		t.Fatal("agency create with an unknown admin succeeded")
	}
	if _, err := env.Registry.AgencyBySlug(ctx, "ghost-agency"); err == nil {
		t.Fatal("a failed agency create left an agency behind")
	}
}
