package demo

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/gomato/gomato/authz"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestDemoScoresEveryCustomerThroughTheQueue loads slices of the music
// store and the telecom and lets the real worker (asynq on Redis database
// 9) score them, as `gomato demo` does with a separate `gomato worker`:
// the contract model must be chosen for the telecom, the transaction
// model for the music store.
//
// The online retailer too: a customer whose only documents are credit
// notes has no purchase day to score and gets no score row; every other
// customer is scored.
func TestDemoScoresEveryCustomerThroughTheQueue(t *testing.T) {
	env := tenanttest.New(t)
	cfg := Config{DB: env.DB, Registry: env.Registry, DataDir: sliceData(t), Now: fixedNow, Out: testWriter{t},
		Accounts: ControlPlane{Users: &tenant.Users{DB: env.DB}, Authz: authz.New(env.DB, quietLog(t))},
		Scoring:  Queue{Client: startWorker(t, env), Timeout: 3 * time.Minute},
		Tenants:  []TenantSpec{Tenants[0], Tenants[1], Tenants[2]}}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	byslug := map[string]TenantSummary{}
	for _, ts := range sum.Tenants {
		byslug[ts.Tenant.Slug] = ts
	}
	checkScoring(t, env, byslug, map[string]string{"online-retail": "transaction", "music-store": "transaction", "telecom": "contract"})
}

// checkScoring: every customer with a purchase day or a contract has a score; the telecom's are from the
// contract model and the others' from the transaction model; some are
// high risk and have rescue tasks assigned to their owners.
func checkScoring(t *testing.T, env *tenanttest.Env, tenants map[string]TenantSummary, want map[string]string) {
	t.Helper()
	for slug, model := range want {
		ts := tenants[slug]
		ctx := tenanttest.Ctx(ts.Tenant)
		var customers, scored, right, high, tasks, ownedTasks int
		err := tenant.ReadTx(ctx, env.DB, func(tx *sqlx.Tx) error {
			// Scorable: a purchase day (a positive net day) or a contract.
			return tx.QueryRowxContext(ctx, `select (select count(*) from customers c where c.first_purchase_on is not null
					or exists (select 1 from contracts k where k.customer_id = c.id)), (select count(*) from scores),
				(select count(*) from scores where model = $1), (select count(*) from scores where risk_level = 'high'),
				(select count(*) from tasks where source = 'rescue_alert'),
				(select count(*) from tasks t join customers c on c.id = t.customer_id
					where t.source = 'rescue_alert' and t.assignee_id = c.owner_id)`, model).
				Scan(&customers, &scored, &right, &high, &tasks, &ownedTasks)
		})
		if err != nil {
			t.Fatal(err)
		}
		if scored != customers || right != customers {
			t.Errorf("%s: %d scorable customers, %d scored, %d by the %s model; want every scorable customer scored by it", slug, customers, scored, right, model)
		}
		if high == 0 || tasks == 0 || ownedTasks != tasks {
			t.Errorf("%s: %d high risk, %d rescue tasks (%d to the owner); want some, all to the owner", slug, high, tasks, ownedTasks)
		}
		var m struct {
			Churn string `json:"churn_model"`
		}
		if ts.Run == nil || json.Unmarshal(ts.Run.Model, &m) != nil || m.Churn != model {
			t.Fatalf("%s: run %+v, want churn_model %s", slug, ts.Run, model)
		}
		t.Logf("%s: %d scored, %d high risk, %d rescue tasks; %s", slug, scored, high, tasks, describeModel(ts.Run))
	}
}

// demoRedisDB is this package's own Redis database (never 0, never
// FLUSHALL): the tests empty it before use.
const demoRedisDB = 9

const redisAddr = "127.0.0.1:6379"

// startWorker runs the real worker (asynq on Redis) for the test and
// returns a client of the same queue.
func startWorker(t *testing.T, env *tenanttest.Env) *jobs.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: redisAddr, DB: demoRedisDB})
	defer rdb.Close()
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis is not reachable on %s (run deploy/local/services.sh or `make services`): %v", redisAddr, err)
	}
	if err := rdb.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	w := jobs.NewWorker(jobs.WorkerConfig{RedisAddr: redisAddr, RedisDB: demoRedisDB, Concurrency: 3, Log: quietLog(t),
		DB: env.DB, Registry: env.Registry, ShutdownTimeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := w.Run(ctx); err != nil {
			t.Errorf("worker: %v", err)
		}
	}()
	c := jobs.NewClient(jobs.ClientConfig{RedisAddr: redisAddr, RedisDB: demoRedisDB, DB: env.DB, Log: quietLog(t)})
	t.Cleanup(func() {
		c.Close()
		cancel()
		<-done
	})
	return c
}
