package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/jobs"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

// customersCSV is a customers file of n good rows.
func customersCSV(n int) []byte {
	var b strings.Builder
	b.WriteString("external_ref,name,phone\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "C-%05d,مشتری %d,+98 912 %03d %04d\n", i, i, i%1000, i)
	}
	return []byte(b.String())
}

// TestImportThroughTheQueue: a submitted import is queued, a worker runs
// it to success through Redis, every row is there once, and a scoring run
// with the import trigger is requested; a file with a bad row fails with
// it and writes nothing; a second delivery of the finished import's task
// does nothing.
func TestImportThroughTheQueue(t *testing.T) {
	flushRedis(t)
	env := tenanttest.New(t)
	tn := env.Tenant(t, "imp")
	ctx := tenanttest.Ctx(tn)
	c := newClient(t, env)
	w := startWorker(t, env, nil)

	job, err := c.SubmitImport(ctx, store.ImportSubmission{Kind: store.ImportCustomers, FileName: "c.csv", Format: "csv", Data: customersCSV(2500)})
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != store.ImportQueued || job.RowsTotal != 2500 {
		t.Fatalf("submitted = %s, %d rows", job.Status, job.RowsTotal)
	}
	// Progress shows while it runs, before anything is committed.
	var done store.ImportJob
	var midway []int
	deadline := time.Now().Add(time.Minute)
	for {
		done, err = c.Import(ctx, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.Finished() || time.Now().After(deadline) {
			break
		}
		if done.Status == store.ImportRunning && done.RowsDone > 0 {
			midway = append(midway, done.RowsDone)
			if n := count(t, env.DB, tn, `select count(*) from customers`); n != 0 {
				t.Fatalf("%d customers visible while the import runs", n)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if done.Status != store.ImportSucceeded || done.Created != 2500 || done.RowsDone != 2500 || done.Attempts != 1 {
		t.Fatalf("import = %+v", done)
	}
	if len(midway) == 0 || midway[0] >= 2500 {
		t.Errorf("progress seen while running: %v; want rows done between 0 and 2500", midway)
	}
	if n := count(t, env.DB, tn, `select count(*) from customers`); n != 2500 {
		t.Errorf("%d customers, want 2500", n)
	}
	// The scoring run is recorded on the import once requested.
	waitFor(t, 30*time.Second, "the import's scoring run", func() bool {
		j, err := c.Import(ctx, job.ID)
		return err == nil && j.ScoringRunID != nil && !j.Pending
	})
	j, _ := c.Import(ctx, job.ID)
	run, err := c.ScoringRun(ctx, *j.ScoringRunID)
	if err != nil || run.Trigger != store.TriggerImport {
		t.Errorf("scoring run = %+v, %v; want one with the import trigger", run, err)
	}
	var pending int
	_ = env.DB.Get(&pending, `select count(*) from control.outbox where kind = 'import:run' and status = 'pending'`)
	if pending != 0 {
		t.Errorf("%d import outbox rows still pending", pending)
	}

	// A re-delivered task for the finished import does nothing.
	payload, _ := json.Marshal(store.ImportPayload{TenantID: tn.ID, ImportID: job.ID})
	if err := jobs.Handler(w).ProcessTask(context.Background(), asynq.NewTask(store.TaskImportRun, payload)); err != nil {
		t.Fatalf("second delivery: %v", err)
	}
	again, _ := c.Import(ctx, job.ID)
	if again.Attempts != 1 || again.Created != 2500 || *again.ScoringRunID != *j.ScoringRunID {
		t.Errorf("after a second delivery: %+v", again)
	}
	if n := count(t, env.DB, tn, `select count(*) from scoring_runs where trigger = 'import'`); n != 1 {
		t.Errorf("%d import-triggered scoring runs, want 1", n)
	}

	// A bad row: failed, reported, nothing written.
	bad := strings.Replace(string(customersCSV(300)), "C-00150,", "C-00001,", 1)
	job, err = c.SubmitImport(ctx, store.ImportSubmission{Kind: store.ImportCustomers, Format: "csv", Data: []byte(bad)})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	done, err = c.WaitImport(wctx, job.ID, 100*time.Millisecond)
	if err != nil || done.Status != store.ImportFailed || len(done.Errors) != 1 || done.Errors[0].Row != 151 || done.Errors[0].Field != "external_ref" {
		t.Fatalf("bad file = %+v, %v; want failed naming row 151", done, err)
	}
	if done.ScoringRunID != nil || done.Pending {
		t.Errorf("a failed import asked for scoring or left work pending: %+v", done)
	}
	if n := count(t, env.DB, tn, `select count(*) from customers`); n != 2500 {
		t.Errorf("%d customers after a failed import, want 2500", n)
	}
}

// TestFlushedRedisImportIsReconciled: an import accepted while its task
// is lost with the whole Redis database is restored by the reconciler and
// imports its rows once.
func TestFlushedRedisImportIsReconciled(t *testing.T) {
	rdb := flushRedis(t)
	env := tenanttest.New(t)
	tn := env.Tenant(t, "impflush")
	ctx := tenanttest.Ctx(tn)
	c := newClient(t, env)
	job, err := c.SubmitImport(ctx, store.ImportSubmission{Kind: store.ImportCustomers, Format: "csv", Data: customersCSV(1200)})
	if err != nil {
		t.Fatal(err)
	}
	flushThenReconcile(t, env, rdb)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	done, err := c.WaitImport(wctx, job.ID, 100*time.Millisecond)
	if err != nil || done.Status != store.ImportSucceeded || done.Created != 1200 || done.Attempts != 1 {
		t.Fatalf("import = %+v, %v", done, err)
	}
	waitFor(t, 30*time.Second, "the import's work to close", func() bool {
		j, err := c.Import(ctx, job.ID)
		return err == nil && !j.Pending
	})
	// Nothing done twice: more reconciler ticks start nothing again.
	time.Sleep(2 * time.Second)
	j, _ := c.Import(ctx, job.ID)
	if j.Attempts != 1 || j.ScoringRunID == nil {
		t.Errorf("after more ticks: attempts %d, scoring run %v; want 1 and a run", j.Attempts, j.ScoringRunID)
	}
	if n := count(t, env.DB, tn, `select count(*) from customers`); n != 1200 {
		t.Errorf("%d customers, want 1200 (imported once)", n)
	}
	if n := count(t, env.DB, tn, `select count(*) from customers where external_ref = 'C-00001'`); n != 1 {
		t.Errorf("customer C-00001 %d times", n)
	}
}

// TestImportHandlerRefusals: a task naming no import, or an import that
// does not exist, or no tenant, is refused without retries; an import
// another worker holds is busy (retried, not counted as a failure) and
// left untouched.
func TestImportHandlerRefusals(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "imprefuse")
	w := jobs.NewWorker(jobs.WorkerConfig{RedisAddr: redisAddr, RedisDB: testRedisDB, DB: env.DB, Registry: env.Registry, Log: quietLog(t), QueuePrefix: queuePrefix})
	h := jobs.Handler(w)
	for name, p := range map[string]any{
		"no import id":     map[string]any{"tenant_id": tn.ID},
		"unknown import":   store.ImportPayload{TenantID: tn.ID, ImportID: core.NewID()},
		"no tenant at all": map[string]any{"import_id": core.NewID()},
	} {
		b, _ := json.Marshal(p)
		err := h.ProcessTask(context.Background(), asynq.NewTask(store.TaskImportRun, b))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("%s: %v, want a refusal without retry", name, err)
		}
	}
	ctx := tenanttest.Ctx(tn)
	job, _, err := store.New(env.DB).SubmitImport(ctx, store.ImportSubmission{Kind: store.ImportCustomers, Format: "csv", Data: customersCSV(3)})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := env.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `select pg_advisory_lock(hashtextextended($1, 0))`, store.ImportLockKey(job.ID)); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(store.ImportPayload{TenantID: tn.ID, ImportID: job.ID})
	if err := h.ProcessTask(context.Background(), asynq.NewTask(store.TaskImportRun, b)); !errors.Is(err, jobs.ErrBusy) {
		t.Errorf("held import: %v, want busy", err)
	}
	if j, _ := store.New(env.DB).ImportJob(ctx, job.ID); j.Status != store.ImportQueued || j.Attempts != 0 {
		t.Errorf("held import = %s after %d attempts, want queued and untouched", j.Status, j.Attempts)
	}
	if _, err := conn.ExecContext(context.Background(), `select pg_advisory_unlock(hashtextextended($1, 0))`, store.ImportLockKey(job.ID)); err != nil {
		t.Fatal(err)
	}
}
