package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
	"github.com/gomato/gomato/tenant/tenanttest"
)

func TestScoringRequestsCoalesceWhilePending(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "coalesce")
	ctx := tenanttest.Ctx(tn)
	st := store.New(env.DB)

	// Five concurrent requests: one run, one outbox row.
	var wg sync.WaitGroup
	ids := make([]uuid.UUID, 5)
	created := make([]bool, 5)
	errs := make([]error, 5)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := st.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerAPI})
			ids[i], created[i], errs[i] = r.Run.ID, r.Created, err
		}()
	}
	wg.Wait()
	nCreated := 0
	for i := range 5 {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("request %d joined run %s, want %s", i, ids[i], ids[0])
		}
		if created[i] {
			nCreated++
		}
	}
	if nCreated != 1 {
		t.Errorf("%d requests created a run, want 1", nCreated)
	}
	var outbox int
	if err := env.DB.Get(&outbox, `select count(*) from control.outbox where tenant_id = $1 and kind = 'scoring:run'`, tn.ID); err != nil {
		t.Fatal(err)
	}
	if outbox != 1 {
		t.Errorf("outbox rows = %d, want 1", outbox)
	}

	// A request for another date while one waits is a conflict with a field.
	d, _ := store.ParseRunDate("2020-01-01")
	_, err := st.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerAPI, AsOf: &d})
	var ae *core.Error
	if !errors.As(err, &ae) || ae.Code != core.CodeConflict || ae.Fields["as_of"] == "" {
		t.Errorf("request for another date = %v, want a conflict on as_of", err)
	}

	// Once the run is running, a request makes a new pending run; once
	// that one fails, the next request starts a new run at once.
	if _, claimed, err := st.ClaimRun(ctx, ids[0]); err != nil || !claimed {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	r2, err := st.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerCLI})
	if err != nil || !r2.Created || r2.Run.ID == ids[0] {
		t.Fatalf("request while running = %+v, %v; want a new run", r2, err)
	}
	if err := st.FailRun(ctx, r2.Run.ID, errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	r3, err := st.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerAPI})
	if err != nil || !r3.Created || r3.Run.ID == r2.Run.ID {
		t.Fatalf("request after a failed run = %+v, %v; want a new run", r3, err)
	}
	failed, err := st.ScoringRun(ctx, r2.Run.ID)
	if err != nil || failed.Status != store.RunFailed || failed.Error != "boom" {
		t.Errorf("failed run = %+v, %v", failed, err)
	}
	var pendingOutbox int
	_ = env.DB.Get(&pendingOutbox, `select count(*) from control.outbox where tenant_id = $1 and status = 'pending'`, tn.ID)
	if pendingOutbox != 2 { // the running first run and the new one
		t.Errorf("pending outbox rows = %d, want 2", pendingOutbox)
	}

	runs, err := st.ScoringRuns(ctx, store.ScoringRunFilter{Limit: 2})
	if err != nil || len(runs) != 2 || runs[0].ID != r3.Run.ID || runs[1].ID != r2.Run.ID {
		t.Fatalf("first page = %v, %v", runs, err)
	}
	more, err := st.ScoringRuns(ctx, store.ScoringRunFilter{Limit: 2, After: &runs[1].ID})
	if err != nil || len(more) != 1 || more[0].ID != ids[0] {
		t.Fatalf("second page = %v, %v", more, err)
	}
}

func TestScoringSlotIsActedOnOnce(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "slot")
	ctx := tenanttest.Ctx(tn)
	st := store.New(env.DB)
	a, err := st.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerSchedule, Slot: "nightly:2026-12-03"})
	if err != nil || !a.Created {
		t.Fatalf("first slot request: %+v %v", a, err)
	}
	if _, _, err := st.ClaimRun(ctx, a.Run.ID); err != nil {
		t.Fatal(err)
	}
	// Even with the first run no longer pending, the slot is taken.
	b, err := st.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerSchedule, Slot: "nightly:2026-12-03"})
	if err != nil || b.Created || b.Run.ID != a.Run.ID {
		t.Fatalf("second slot request: %+v %v; want the first run", b, err)
	}
	c, err := st.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerSchedule, Slot: "nightly:2026-12-04"})
	if err != nil || !c.Created {
		t.Fatalf("next slot: %+v %v", c, err)
	}
}

func TestScoringRunsStayInTheirTenant(t *testing.T) {
	env := tenanttest.New(t)
	alpha, beta := env.Tenant(t, "alpha"), env.Tenant(t, "beta")
	st := store.New(env.DB)
	r, err := st.RequestRun(tenanttest.Ctx(alpha), store.RunRequest{Trigger: store.TriggerAPI})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ScoringRun(tenanttest.Ctx(beta), r.Run.ID); core.ErrorCode(err) != core.CodeNotFound {
		t.Errorf("beta reading alpha's run: %v, want not found", err)
	}
	runs, err := st.ScoringRuns(tenanttest.Ctx(beta), store.ScoringRunFilter{})
	if err != nil || len(runs) != 0 {
		t.Errorf("beta's runs = %v, %v; want none", runs, err)
	}
	// A run requested in beta does not join alpha's pending run.
	rb, err := st.RequestRun(tenanttest.Ctx(beta), store.RunRequest{Trigger: store.TriggerAPI, Delay: time.Second})
	if err != nil || !rb.Created || rb.Run.ID == r.Run.ID {
		t.Errorf("beta's request = %+v, %v; want its own run", rb, err)
	}
}
