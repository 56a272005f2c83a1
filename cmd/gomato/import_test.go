package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestImportCommand: a file with a bad row prints the row and writes
// nothing; with a mapping file and Persian digits, the corrected file
// imports. Both are recorded as imports, like the API's, and the good one
// requests a scoring run (enqueued under a queue prefix of this test's own
// in the scoring tests' Redis database; no worker takes it).
func TestImportCommand(t *testing.T) {
	env := tenanttest.New(t)
	ctx := context.Background()
	tn := env.Tenant(t, "cli")
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 10})
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis is not reachable on 127.0.0.1:6379 (run deploy/local/services.sh): %v", err)
	}
	prefix := "import-cli-" + strconv.Itoa(os.Getpid()) + "-"
	defer func() {
		iter := rdb.Scan(ctx, 0, "asynq:{"+prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		for _, q := range []string{"critical", "default", "low"} {
			rdb.SRem(ctx, "asynq:queues", prefix+q)
		}
	}()
	cliEnv := func(url, stdin string) (environ, *bytes.Buffer, *bytes.Buffer) {
		e, out, errb := testEnv(url, stdin)
		getenv := e.getenv
		e.getenv = func(k string) string {
			switch k {
			case "GOMATO_REDIS_DB":
				return scoreRedisDB
			case "GOMATO_QUEUE_PREFIX":
				return prefix
			}
			return getenv(k)
		}
		return e, out, errb
	}
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
	e, out, _ := cliEnv(env.URL, "")
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
	e, out, _ = cliEnv(env.URL, "")
	if err := run(ctx, []string{"import", "--tenant", tn.Slug, "--kind", "customers", "--map", m, good}, e); err != nil {
		t.Fatalf("good file: %v", err)
	}
	if !strings.Contains(out.String(), "2 created") || count() != 2 {
		t.Errorf("good file: %s, %d customers", out, count())
	}
	// Both runs are imports on record; the good one asked for scoring.
	var rows []struct {
		Status string  `db:"status"`
		Run    *string `db:"scoring_run_id"`
		Total  int     `db:"rows_total"`
	}
	err = tenant.ReadTx(core.WithTenant(ctx, tn), env.DB, func(tx *sqlx.Tx) error {
		return tx.Select(&rows, `select status, scoring_run_id::text, rows_total from imports order by requested_at`)
	})
	if err != nil || len(rows) != 2 || rows[0].Status != "failed" || rows[1].Status != "succeeded" || rows[1].Run == nil || rows[1].Total != 2 {
		t.Fatalf("imports on record = %+v, %v", rows, err)
	}
	if !strings.Contains(out.String(), "scoring run "+*rows[1].Run+" requested") {
		t.Errorf("output does not name the scoring run: %s", out)
	}
	var trigger string
	_ = tenant.ReadTx(core.WithTenant(ctx, tn), env.DB, func(tx *sqlx.Tx) error {
		return tx.Get(&trigger, `select trigger from scoring_runs where id = $1`, *rows[1].Run)
	})
	if trigger != "import" {
		t.Errorf("scoring run trigger = %q, want import", trigger)
	}
	var pending int
	_ = env.DB.Get(&pending, `select count(*) from control.outbox where kind = 'import:run' and status = 'pending'`)
	if pending != 0 {
		t.Errorf("%d import outbox rows left pending", pending)
	}
}
