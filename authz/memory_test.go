package authz

import (
	"context"
	"runtime"
	"testing"

	"github.com/gomato/gomato/tenant/tenanttest"
)

// TestPolicyMemoryPerTenant measures what one tenant's loaded policy (the
// default roles in a Casbin enforcer) keeps on the heap, so that the cache
// of 1,000 tenants can be judged against DESIGN §9's 150 MB. It fails
// above 512 KiB a tenant.
func TestPolicyMemoryPerTenant(t *testing.T) {
	env := tenanttest.New(t)
	tn := env.Tenant(t, "mem")
	a := New(env.DB, nil)
	ctx := context.Background()
	if _, err := a.load(ctx, tn.ID); err != nil { // seeds the defaults
		t.Fatal(err)
	}
	const n = 50
	keep := make([]*domain, 0, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		d, err := a.load(ctx, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		keep = append(keep, d)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	rules, _ := keep[0].e.GetPolicy()
	t.Logf("one tenant's loaded policy: %d KiB on the heap (%d rules)", per/1024, len(rules))
	if per > 512<<10 {
		t.Fatalf("one tenant's policy takes %d KiB, want under 512 KiB", per/1024)
	}
	runtime.KeepAlive(keep)
}
