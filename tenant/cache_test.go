package tenant_test

import (
	"context"
	"testing"

	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestCachedLookupsSeeChangesAtOnce: the tenant of a slug and the user of
// an API token are reused between requests, but a change made through
// this process — revoking the token, disabling the user, a new tenant
// locale — is seen by the very next lookup.
func TestCachedLookupsSeeChangesAtOnce(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	users := &tenant.Users{DB: env.DB}
	a := env.Tenant(t, "alpha")
	u, err := users.Create(ctx, tenant.NewUser{Email: "cache@example.test", Name: "Cache"})
	if err != nil {
		t.Fatal(err)
	}
	secret, tok, err := users.CreateToken(ctx, a.ID, u.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 { // the second and third answers come from the cache
		if got, _, err := users.TokenUser(ctx, secret); err != nil || got.ID != u.ID {
			t.Fatalf("token user: %v, %v", got.ID, err)
		}
	}
	if err := users.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.TokenUser(ctx, secret); err == nil {
		t.Fatal("a disabled user's token still works")
	}
	if err := users.SetDisabled(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.TokenUser(ctx, secret); err != nil {
		t.Fatalf("re-enabled user's token: %v", err)
	}
	if _, err := users.RevokeToken(ctx, a.ID, tok.ID, nil, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.TokenUser(ctx, secret); err == nil {
		t.Fatal("a revoked token still works")
	}

	for range 2 {
		if got, err := env.Registry.TenantBySlug(ctx, a.Slug); err != nil || got.Locale != a.Locale {
			t.Fatalf("tenant by slug: %+v, %v", got, err)
		}
	}
	next := "fa"
	if a.Locale == "fa" {
		next = "en"
	}
	if _, err := tenant.UpdateSettings(tenanttest.Ctx(a), env.DB, tenant.SettingsUpdate{Locale: &next}); err != nil {
		t.Fatal(err)
	}
	if got, err := env.Registry.TenantBySlug(ctx, a.Slug); err != nil || got.Locale != next {
		t.Fatalf("after the locale change the tenant reads %q (%v), want %q", got.Locale, err, next)
	}
}
