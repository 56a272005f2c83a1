package tenant_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestUsersSessionsAndPasswords: email is unique in any letter case; the
// stored hash is argon2id and never the password; a disabled user and a
// changed password end sessions; wrong email and wrong password are the
// same error.
func TestUsersSessionsAndPasswords(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t)
	ctx := context.Background()
	users := &tenant.Users{DB: env.DB}
	u, err := users.Create(ctx, tenant.NewUser{Email: "Reza@Example.test", Name: "رضا", Locale: "fa", Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := users.Create(ctx, tenant.NewUser{Email: "reza@example.TEST", Name: "x"}); core.ErrorCode(err) != core.CodeConflict {
		t.Fatalf("same email in other letter case: %v, want conflict", err)
	}
	if _, err := users.Create(ctx, tenant.NewUser{Email: "x@example.test", Name: "x", Password: "short"}); core.ErrorCode(err) != core.CodeInvalid {
		t.Fatalf("short password: %v, want invalid", err)
	}
	var hash string
	if err := env.DB.GetContext(ctx, &hash, `select password_hash from control.users where id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$") || strings.Contains(hash, "a long enough password") {
		t.Fatalf("stored hash %q: want argon2id PHC, not the password", hash)
	}
	_, errEmail := users.CheckPassword(ctx, "nobody@example.test", "a long enough password")
	_, errPass := users.CheckPassword(ctx, "reza@example.test", "a wrong password!")
	if errEmail != tenant.ErrBadCredentials || errPass != tenant.ErrBadCredentials {
		t.Fatalf("wrong email: %v; wrong password: %v; want the same ErrBadCredentials", errEmail, errPass)
	}

	secret, _, err := users.CreateSession(ctx, u.ID, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	_ = env.DB.GetContext(ctx, &n, `select count(*) from control.sessions where token_hash = $1::bytea`, []byte(secret))
	if n != 0 {
		t.Fatal("the session secret is stored as is")
	}
	if _, _, err := users.SessionUser(ctx, secret); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	if _, err := env.DB.ExecContext(ctx, `update control.sessions set expires_at = now() - interval '1 second' where user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.SessionUser(ctx, secret); err != tenant.ErrNoSession {
		t.Fatalf("expired session: %v, want ErrNoSession", err)
	}
	secret, _, _ = users.CreateSession(ctx, u.ID, "127.0.0.1", "test")
	if err := users.SetPassword(ctx, u.ID, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.SessionUser(ctx, secret); err != tenant.ErrNoSession {
		t.Fatalf("session after a password change: %v, want ErrNoSession", err)
	}
	secret, _, _ = users.CreateSession(ctx, u.ID, "127.0.0.1", "test")
	if err := users.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := users.SessionUser(ctx, secret); err != tenant.ErrNoSession {
		t.Fatalf("session of a disabled user: %v, want ErrNoSession", err)
	}
	if _, err := users.CheckPassword(ctx, "reza@example.test", "a brand new password"); err != tenant.ErrBadCredentials {
		t.Fatalf("disabled user signs in: %v", err)
	}
}

// TestTokensAndInvitesStayInTheirTenant: a token or invite of tenant A
// cannot be listed, revoked or withdrawn through tenant B.
func TestTokensAndInvitesStayInTheirTenant(t *testing.T) {
	t.Parallel()
	env := tenanttest.New(t)
	ctx := context.Background()
	users := &tenant.Users{DB: env.DB}
	a, b := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	u, err := users.Create(ctx, tenant.NewUser{Email: "u@example.test", Name: "U"})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := users.CreateToken(ctx, a.ID, u.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if ts, _ := users.Tokens(ctx, b.ID, nil); len(ts) != 0 {
		t.Fatalf("B lists A's tokens: %+v", ts)
	}
	if _, err := users.RevokeToken(ctx, b.ID, tok.ID, nil, u.ID); core.ErrorCode(err) != core.CodeNotFound {
		t.Fatalf("revoke A's token through B: %v, want not found", err)
	}
	_, inv, err := users.CreateInvite(ctx, a.ID, tenant.NewInvite{Email: "new@example.test", Name: "New", Roles: []string{"sales"}, By: u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if is, _ := users.Invites(ctx, b.ID); len(is) != 0 {
		t.Fatalf("B lists A's invites: %+v", is)
	}
	if _, err := users.DeleteInvite(ctx, b.ID, inv.ID); core.ErrorCode(err) != core.CodeNotFound {
		t.Fatalf("withdraw A's invite through B: %v, want not found", err)
	}
	if st, _ := users.MembershipStatus(ctx, a.ID, inv.UserID); st != tenant.MemberPending {
		t.Fatalf("invitee in A: %q, want pending", st)
	}
	if _, err := users.DeleteInvite(ctx, a.ID, inv.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := users.MembershipStatus(ctx, a.ID, inv.UserID); st != "" {
		t.Fatalf("invitee in A after withdrawing: %q, want none", st)
	}
}
