package jobs_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// testRedisDB is this package's own Redis database: the tests FLUSHDB it,
// and nothing else uses it (never 0, never FLUSHALL).
const testRedisDB = 11

const redisAddr = "127.0.0.1:6379"

// queuePrefix keeps this test process's queues apart from those of
// another run of the same tests at the same time (two `go test ./...` on
// one machine share Redis database 11): without it each would take and
// refuse the other's tasks.
var queuePrefix = "t" + strconv.Itoa(os.Getpid()) + "-"

// flushRedis empties this process's queues in this package's Redis
// database (FLUSHDB itself only where a test is about losing Redis),
// failing with advice when Redis is not running.
func flushRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DB: testRedisDB})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("redis is not reachable on %s (run deploy/local/services.sh): %v", redisAddr, err)
	}
	iter := rdb.Scan(ctx, 0, "asynq:{"+queuePrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Del(ctx, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return rdb
}

func quietLog(t testing.TB) *slog.Logger {
	if os.Getenv("GOMATO_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(&testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// testWriter sends log lines to t.Log while the test runs.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// startWorker runs an in-process worker until the test ends.
func startWorker(t testing.TB, env *tenanttest.Env, mod func(*jobs.WorkerConfig)) *jobs.Worker {
	t.Helper()
	cfg := jobs.WorkerConfig{RedisAddr: redisAddr, RedisDB: testRedisDB, Concurrency: 2, Log: quietLog(t),
		DB: env.DB, Registry: env.Registry, ShutdownTimeout: 5 * time.Second, QueuePrefix: queuePrefix}
	if mod != nil {
		mod(&cfg)
	}
	w := jobs.NewWorker(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return w
}

func newClient(t testing.TB, env *tenanttest.Env) *jobs.Client {
	c := jobs.NewClient(jobs.ClientConfig{RedisAddr: redisAddr, RedisDB: testRedisDB, DB: env.DB, Log: quietLog(t), QueuePrefix: queuePrefix})
	t.Cleanup(c.Close)
	return c
}

// cdnowRow is one line of the CDNOW sample.
type cdnowRow struct {
	sampleID int
	day      time.Time
	cents    int64
}

// readCDNOW reads testdata/CDNOW_sample.txt: master id, sample id, date,
// number of CDs, dollar value.
func readCDNOW(t testing.TB) []cdnowRow {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "CDNOW_sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []cdnowRow
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			continue
		}
		id, err := strconv.Atoi(fs[1])
		if err != nil {
			t.Fatalf("sample id %q: %v", fs[1], err)
		}
		day, err := time.Parse("20060102", fs[2])
		if err != nil {
			t.Fatal(err)
		}
		// Dollars with two decimals → cents, exactly (no float).
		whole, frac, _ := strings.Cut(fs[4], ".")
		frac = (frac + "00")[:2]
		cents, err := strconv.ParseInt(whole+frac, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cdnowRow{sampleID: id, day: day, cents: cents})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// loadCDNOW inserts the CDNOW sample as customers and paid invoices (one
// per transaction line) with COPY inside the tenant's scoped transaction,
// and returns the customer ids by sample id. owners, if any, are assigned
// round robin.
func loadCDNOW(t testing.TB, db *sqlx.DB, tn core.Tenant, owners []uuid.UUID) map[int]uuid.UUID {
	t.Helper()
	rows := readCDNOW(t)
	ids := map[int]uuid.UUID{}
	var order []int
	for _, r := range rows {
		if _, ok := ids[r.sampleID]; !ok {
			ids[r.sampleID] = core.NewID()
			order = append(order, r.sampleID)
		}
	}
	err := tenant.Tx(tenanttest.Ctx(tn), db, func(tx *sqlx.Tx) error {
		stmt, err := tx.Prepare(pq.CopyIn("customers", "id", "name", "owner_id", "created_at"))
		if err != nil {
			return err
		}
		for i, sid := range order {
			var owner any
			if len(owners) > 0 {
				owner = owners[i%len(owners)]
			}
			if _, err := stmt.Exec(ids[sid], fmt.Sprintf("CDNOW %04d", sid), owner, time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
				return err
			}
		}
		if _, err := stmt.Exec(); err != nil {
			return err
		}
		stmt.Close()
		stmt, err = tx.Prepare(pq.CopyIn("invoices", "id", "customer_id", "number", "issued_on", "currency", "total", "paid_total", "status"))
		if err != nil {
			return err
		}
		for i, r := range rows {
			if _, err := stmt.Exec(core.NewID(), ids[r.sampleID], fmt.Sprintf("CD-%06d", i+1), r.day.Format(time.DateOnly), "USD", r.cents, r.cents, "paid"); err != nil {
				return err
			}
		}
		if _, err := stmt.Exec(); err != nil {
			return err
		}
		return stmt.Close()
	})
	if err != nil {
		t.Fatalf("load CDNOW: %v", err)
	}
	return ids
}

// count runs a count query in the tenant's schema.
func count(t testing.TB, db *sqlx.DB, tn core.Tenant, q string, args ...any) int {
	t.Helper()
	var n int
	err := tenant.ReadTx(tenanttest.Ctx(tn), db, func(tx *sqlx.Tx) error { return tx.Get(&n, q, args...) })
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// flushThenReconcile checks that work is waiting in Redis, flushes the
// whole test database (the real thing), and starts a worker whose
// reconciler ticks fast.
func flushThenReconcile(t *testing.T, env *tenanttest.Env, rdb *redis.Client) {
	t.Helper()
	if keys, _ := rdb.DBSize(context.Background()).Result(); keys == 0 {
		t.Fatal("nothing was enqueued")
	}
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	startWorker(t, env, func(cfg *jobs.WorkerConfig) {
		cfg.Scheduler.Enabled = true
		cfg.Scheduler.NoNightly = true
		cfg.Scheduler.Tick = 200 * time.Millisecond
		cfg.Scheduler.ReconcileGrace = time.Second
	})
}
