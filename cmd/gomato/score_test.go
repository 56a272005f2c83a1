package main

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// scoreRedisDB is the scoring engineer's second Redis test database (the
// web tests enqueue there too, without a prefix). Never 0, never flushed.
const scoreRedisDB = "10"

// TestScoreCommand: `gomato score --tenant SLUG --as-of DAY --wait` goes
// through the real queue to a worker and reports the finished run; bad
// flags are refused with field messages.
func TestScoreCommand(t *testing.T) {
	env := tenanttest.New(t)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 10})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis is not reachable on 127.0.0.1:6379 (run deploy/local/services.sh): %v", err)
	}
	tn := env.Tenant(t, "score-cli")
	if _, err := env.DB.Exec(`
		insert into ` + tn.Schema + `.customers (id, name) select gen_random_uuid(), 'مشتری ' || g from generate_series(1, 300) g;
		insert into ` + tn.Schema + `.invoices (id, customer_id, number, issued_on, currency, total, paid_total, status)
		select gen_random_uuid(), c.id, 'N-' || c.id || '-' || k, date '2024-01-01' + (k * 37 + (random() * 20)::int), 'USD', 1500, 1500, 'paid'
		from ` + tn.Schema + `.customers c cross join lateral generate_series(1, 1 + (random() * 5)::int) k`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	// A queue prefix of this process's own: another run of these tests, or
	// the web tests enqueueing into the same database, never meet it.
	prefix := "score-" + strconv.Itoa(os.Getpid()) + "-"
	w := jobs.NewWorker(jobs.WorkerConfig{RedisAddr: "127.0.0.1:6379", RedisDB: 10, DB: env.DB, Registry: env.Registry,
		ShutdownTimeout: 5 * time.Second, QueuePrefix: prefix})
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	e, out, errb := testEnv(env.URL, "")
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
	if err := run(ctx, []string{"score", "--tenant", tn.Slug, "--as-of", "۲۰۲۵-۰۶-۳۰", "--wait", "--timeout", "2m"}, e); err != nil {
		t.Fatalf("gomato score: %v\n%s", err, errb)
	}
	if !strings.Contains(out.String(), "300 customers scored") {
		t.Errorf("output:\n%s", out)
	}
	var asOf string
	if err := env.DB.Get(&asOf, `select as_of::text from `+tn.Schema+`.scoring_runs where status = 'done'`); err != nil || asOf != "2025-06-30" {
		t.Errorf("run as of %q, %v; want 2025-06-30", asOf, err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"score"}, "--tenant"},
		{[]string{"score", "--tenant", tn.Slug, "--as-of", "30.06.2025"}, "--as-of"},
		{[]string{"score", "--tenant", "no-such-tenant"}, "not found"},
	} {
		e, _, _ := testEnv(env.URL, "")
		err := run(ctx, c.args, e)
		if err == nil || !strings.Contains(describe(err), c.want) {
			t.Errorf("gomato %s: %v, want an error naming %s", strings.Join(c.args, " "), err, c.want)
		}
	}
	var help bytes.Buffer
	e2, _, _ := testEnv(env.URL, "")
	e2.stderr = &help
	_ = run(ctx, []string{"score", "--help"}, e2)
	if !strings.Contains(help.String(), "--as-of") {
		t.Errorf("help:\n%s", help.String())
	}
}
