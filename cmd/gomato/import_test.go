package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestImportCommand: a file with a bad row prints the row and writes
// nothing; with a mapping file and Persian digits, the corrected file
// imports.
func TestImportCommand(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	tn := env.Tenant(t, "cli")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m := write("map.txt", "# field=Header\nexternal_ref=Code\nname=نام\nphone=Tel\nvalue_added_deals=Deals\n")
	bad := write("c.csv", "Code,نام,Tel,Deals\nA-1,علی\u200cرضا,+98 912 000 1111,۳\nA-2,Beta,,-1\n")
	e, out, _ := testEnv(env.URL, "")
	err := run(ctx, []string{"import", "--tenant", tn.Slug, "--kind", "customers", "--map", m, bad}, e)
	if err == nil || !strings.Contains(out.String(), "row 3, column Deals: must not be negative") {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	count := func() int {
		var n int
		_ = tenant.ReadTx(core.WithTenant(ctx, tn), env.DB, func(tx *sqlx.Tx) error { return tx.Get(&n, `select count(*) from customers`) })
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("%d customers after a rejected file", n)
	}
	good := write("c2.csv", "Code,نام,Tel,Deals\nA-1,علی\u200cرضا,+98 912 000 1111,۳\nA-2,Beta,,1\n")
	e, out, _ = testEnv(env.URL, "")
	if err := run(ctx, []string{"import", "--tenant", tn.Slug, "--kind", "customers", "--map", m, good}, e); err != nil {
		t.Fatalf("good file: %v", err)
	}
	if !strings.Contains(out.String(), "2 created") || count() != 2 {
		t.Errorf("good file: %s, %d customers", out, count())
	}
}
