package authz

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/lib/pq"
)

// Listen hears policy changes made by other replicas (NotifyChannel) and
// drops the changed tenant's policy, until ctx ends. After a lost
// connection every policy is dropped, since notices may have been missed.
// It returns once LISTEN is in place, so that a change made after Listen
// returns is heard.
func (a *Authorizer) Listen(ctx context.Context, dbURL string) error {
	l := pq.NewListener(dbURL, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventReconnected:
			a.InvalidateAll()
		case pq.ListenerEventConnectionAttemptFailed:
			a.log.Warn("authz listener: connection attempt failed", "err", err)
		}
	})
	if err := l.Listen(NotifyChannel); err != nil {
		l.Close()
		return err
	}
	go func() {
		defer l.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				if n == nil { // reconnected: notices may be lost
					a.InvalidateAll()
					continue
				}
				if id, err := uuid.Parse(n.Extra); err == nil {
					a.Invalidate(id)
				} else {
					a.InvalidateAll()
				}
			case <-time.After(90 * time.Second):
				go func() { _ = l.Ping() }()
			}
		}
	}()
	return nil
}
