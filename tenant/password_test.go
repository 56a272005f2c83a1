package tenant

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestHashesWaitForASlot: with every slot taken, a hash waits (and gives
// up with its context) instead of running beside the others.
func TestHashesWaitForASlot(t *testing.T) {
	for range cap(hashSlots) {
		hashSlots <- struct{}{}
	}
	release := func() {
		for range cap(hashSlots) {
			<-hashSlots
		}
	}
	var once sync.Once
	defer once.Do(release)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := HashPassword(ctx, "a long enough password"); err == nil {
		t.Fatal("a hash ran while every slot was taken")
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("gave up after %s, before its context ended", d)
	}
	once.Do(release)
	h, err := HashPassword(context.Background(), "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := VerifyPassword(context.Background(), h, "a long enough password"); !ok {
		t.Fatal("the hash does not verify")
	}
	if ok, _ := VerifyPassword(context.Background(), h, "a long enough passworD"); ok {
		t.Fatal("a wrong password verifies")
	}
}

// BenchmarkHashPassword: the cost of one argon2id hash (19 MiB, t=2).
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword(context.Background(), "a long enough password"); err != nil {
			b.Fatal(err)
		}
	}
}
