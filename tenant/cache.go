package tenant

import (
	"sync"
	"sync/atomic"
	"time"
)

// lookupTTL is how long a control-plane answer on the request path (the
// tenant of a slug, the user of an API token) is reused without asking
// Postgres again. A change made in this process is seen at once (see
// controlChanged); one made by another replica within lookupTTL.
const lookupTTL = 3 * time.Second

// controlGen counts the in-process changes that can alter a cached answer:
// tenant settings, tenant removal, token revocation, user flags. Every
// cached answer remembers the count it was read under and is void once the
// count moves on.
var controlGen atomic.Uint64

// controlChanged voids every cached control-plane answer of this process.
func controlChanged() { controlGen.Add(1) }

// lookupCache memoises answers by key for lookupTTL. Its zero value is
// ready to use.
type lookupCache[K comparable, V any] struct {
	m         sync.Map // K → lookupEntry[V]
	lastSweep atomic.Int64
}

type lookupEntry[V any] struct {
	v       V
	gen     uint64
	expires time.Time
}

func (c *lookupCache[K, V]) get(k K) (V, bool) {
	if e, ok := c.m.Load(k); ok {
		e := e.(lookupEntry[V])
		if e.gen == controlGen.Load() && time.Now().Before(e.expires) {
			return e.v, true
		}
		c.m.Delete(k)
	}
	var zero V
	return zero, false
}

// put keeps v for k, unless the count moved on since gen was read (a
// change raced the read that produced v). Expired entries are swept now
// and then, so keys seen once do not stay.
func (c *lookupCache[K, V]) put(k K, v V, gen uint64) {
	now := time.Now()
	if gen != controlGen.Load() {
		return
	}
	c.m.Store(k, lookupEntry[V]{v: v, gen: gen, expires: now.Add(lookupTTL)})
	if last := c.lastSweep.Load(); now.UnixNano()-last > int64(10*lookupTTL) && c.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		c.m.Range(func(k, e any) bool {
			if e := e.(lookupEntry[V]); e.gen != controlGen.Load() || now.After(e.expires) {
				c.m.Delete(k)
			}
			return true
		})
	}
}
