package authz_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

func newUser(t *testing.T, env *tenanttest.Env) uuid.UUID {
	t.Helper()
	u, err := (&tenant.Users{DB: env.DB}).Create(context.Background(), tenant.NewUser{Email: core.NewID().String() + "@example.test", Name: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func member(t *testing.T, a *authz.Authorizer, tn core.Tenant, user uuid.UUID, role string) {
	t.Helper()
	ctx := context.Background()
	if err := a.AddMember(ctx, tn.ID, user); err != nil {
		t.Fatal(err)
	}
	if err := a.Grant(ctx, tn.ID, user, role); err != nil {
		t.Fatal(err)
	}
}

// TestRevocationReachesAnotherReplicaWithinASecond: two authorizers on one
// database, like two replicas. A revoke made on one is denied by the other
// within a second, heard through LISTEN/NOTIFY, not by polling.
func TestRevocationReachesAnotherReplicaWithinASecond(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t)
	tn := env.Tenant(t, "acme")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	one, two := authz.New(env.DB, nil), authz.New(env.DB, nil)
	for _, a := range []*authz.Authorizer{one, two} {
		if err := a.Listen(ctx, env.URL); err != nil {
			t.Fatal(err)
		}
	}
	u := newUser(t, env)
	member(t, one, tn, u, authz.RoleManager)
	perm := authz.P(authz.Invoices, authz.Create)
	// Warm replica two's cache: it must be told, not merely reload.
	for _, a := range []*authz.Authorizer{one, two} {
		ok, err := a.Enforce(ctx, tn.ID, u, perm)
		if err != nil || !ok {
			t.Fatalf("manager may create invoices: got %v, %v", ok, err)
		}
	}
	if err := one.Revoke(ctx, tn.ID, u, authz.RoleManager); err != nil {
		t.Fatal(err)
	}
	if ok, _ := one.Enforce(ctx, tn.ID, u, perm); ok {
		t.Fatal("the replica that revoked still allows")
	}
	start := time.Now()
	for {
		ok, err := two.Enforce(ctx, tn.ID, u, perm)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			t.Logf("replica two denied after %s", time.Since(start))
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("replica two still allows a revoked role after 1s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestGrantsStayInTheirTenant: the same user's grant in A is not a grant in
// B, and revoking in B leaves A alone.
func TestGrantsStayInTheirTenant(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	az := authz.New(env.DB, nil)
	ctx := context.Background()
	u := newUser(t, env)
	member(t, az, a, u, authz.RoleTenantAdmin)
	member(t, az, b, u, authz.RoleSupport)

	rolesA, _, _ := az.RolesOf(ctx, a.ID, u)
	rolesB, _, _ := az.RolesOf(ctx, b.ID, u)
	if !slices.Equal(rolesA, []string{"tenant_admin"}) || !slices.Equal(rolesB, []string{"support"}) {
		t.Fatalf("roles A %v, B %v; want [tenant_admin] and [support]", rolesA, rolesB)
	}
	if ok, _ := az.Enforce(ctx, b.ID, u, authz.P(authz.Users, authz.Update)); ok {
		t.Fatal("tenant_admin in A lets the user grant roles in B")
	}
	if ok, _ := az.Enforce(ctx, a.ID, u, authz.P(authz.Tickets, authz.Create)); ok {
		t.Fatal("support in B lets the user create tickets in A")
	}
	if err := az.Revoke(ctx, b.ID, u, authz.RoleSupport); err != nil {
		t.Fatal(err)
	}
	if ok, _ := az.Enforce(ctx, a.ID, u, authz.P(authz.Users, authz.Update)); !ok {
		t.Fatal("revoking in B took the grant in A")
	}
	// A fresh authorizer reads the same from the database.
	fresh := authz.New(env.DB, nil)
	gA, _ := fresh.Grants(ctx, a.ID)
	gB, _ := fresh.Grants(ctx, b.ID)
	if !slices.Equal(gA[u], []string{"tenant_admin"}) || len(gB[u]) != 0 {
		t.Fatalf("grants from the database: A %v, B %v", gA[u], gB[u])
	}
}

// TestDeletingARoleLeavesOtherTenantsAlone: a role named the same in two
// tenants is two roles; deleting one keeps the other with its grants.
func TestDeletingARoleLeavesOtherTenantsAlone(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t)
	a, b := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	az := authz.New(env.DB, nil)
	ctx := context.Background()
	perms := []authz.Permission{authz.P(authz.Customers, authz.Read), authz.P(authz.Exports, authz.Run)}
	for _, tn := range []core.Tenant{a, b} {
		if err := az.CreateRole(ctx, tn.ID, authz.Role{Name: "auditor", Permissions: perms}); err != nil {
			t.Fatal(err)
		}
	}
	ua, ub := newUser(t, env), newUser(t, env)
	member(t, az, a, ua, "auditor")
	member(t, az, b, ub, "auditor")
	if err := az.DeleteRole(ctx, a.ID, "auditor"); err != nil {
		t.Fatal(err)
	}
	fresh := authz.New(env.DB, nil)
	if ok, _ := fresh.Enforce(ctx, a.ID, ua, authz.P(authz.Exports, authz.Run)); ok {
		t.Fatal("deleted role still grants in A")
	}
	if ok, _ := fresh.Enforce(ctx, b.ID, ub, authz.P(authz.Exports, authz.Run)); !ok {
		t.Fatal("deleting A's auditor took B's auditor grant")
	}
	roles, _ := fresh.Roles(ctx, b.ID)
	var found bool
	for _, r := range roles {
		if r.Name == "auditor" {
			found = slices.Equal(r.Permissions, perms)
		}
	}
	if !found {
		t.Fatalf("B's auditor role is gone or changed: %+v", roles)
	}
}

func TestMalformedPermissionNames(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "customers", "customers:", ":read", "customers:fly", "customer:read", "customers:read:x", "*:read", "customers:*", "Customers:Read"} {
		if _, err := authz.ParsePermission(name); err == nil {
			t.Errorf("ParsePermission(%q) accepted a malformed name", name)
		}
	}
	if _, err := authz.ParsePermissions("permissions", []string{"customers:read", "scores:fly"}); core.ErrorCode(err) != core.CodeInvalid {
		t.Errorf("ParsePermissions with a bad name = %v, want invalid", err)
	}
}

// TestCheckUsesTheContext: Check reads actor and tenant from the context;
// the system actor holds everything, no actor is unauthenticated.
func TestCheckUsesTheContext(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t)
	tn := env.Tenant(t, "acme")
	az := authz.New(env.DB, nil)
	u := newUser(t, env)
	member(t, az, tn, u, authz.RoleSupport)
	base := authz.WithAuthorizer(core.WithTenant(context.Background(), tn), az)
	support := core.WithActor(base, core.Actor{UserID: u})
	if authz.Can(support, authz.P(authz.Scores, authz.Read)) {
		t.Error("support may read scores")
	}
	if err := authz.Check(support, authz.P(authz.Tickets, authz.Update)); err != nil {
		t.Errorf("support may not update tickets: %v", err)
	}
	if err := authz.Check(base, authz.P(authz.Tickets, authz.Read)); core.ErrorCode(err) != core.CodeUnauthenticated {
		t.Errorf("no actor: %v, want unauthenticated", err)
	}
	if err := authz.Check(core.WithActor(base, core.SystemActor), authz.P(authz.Scores, authz.Read)); err != nil {
		t.Errorf("system actor: %v", err)
	}
}

// TestTheLastAdminStays: a tenant cannot lose its last tenant_admin by a
// revoke or a removal; with a second admin it can.
func TestTheLastAdminStays(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t)
	tn := env.Tenant(t, "acme")
	az := authz.New(env.DB, nil)
	ctx := context.Background()
	first, second := newUser(t, env), newUser(t, env)
	member(t, az, tn, first, authz.RoleTenantAdmin)
	if err := az.Revoke(ctx, tn.ID, first, authz.RoleTenantAdmin); core.ErrorCode(err) != core.CodeConflict {
		t.Fatalf("revoking the last admin: %v, want conflict", err)
	}
	if err := az.RemoveMember(ctx, tn.ID, first); core.ErrorCode(err) != core.CodeConflict {
		t.Fatalf("removing the last admin: %v, want conflict", err)
	}
	member(t, az, tn, second, authz.RoleTenantAdmin)
	if err := az.Revoke(ctx, tn.ID, first, authz.RoleTenantAdmin); err != nil {
		t.Fatalf("revoking one of two admins: %v", err)
	}
	if err := az.RemoveMember(ctx, tn.ID, second); core.ErrorCode(err) != core.CodeConflict {
		t.Fatalf("removing the now last admin: %v, want conflict", err)
	}
}
