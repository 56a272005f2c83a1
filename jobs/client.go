package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/tenant/store"
)

// ClientConfig configures a Client.
type ClientConfig struct {
	RedisAddr string
	RedisDB   int
	DB        *sqlx.DB
	Log       *slog.Logger
	// QueuePrefix must match the workers' (see WorkerConfig.QueuePrefix).
	QueuePrefix string
}

// Client is how the rest of Gomato (web, the CLI, the demo loader) asks
// for background work without touching asynq: it records the work in
// Postgres first (outbox), then enqueues the trigger. If Redis is down the
// request still stands and the reconciler enqueues it later.
type Client struct {
	q      *asynq.Client
	insp   *asynq.Inspector
	db     *sqlx.DB
	store  *store.Store
	log    *slog.Logger
	prefix string
}

// NewClient connects lazily to Redis; it never fails.
func NewClient(cfg ClientConfig) *Client {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	opt := asynq.RedisClientOpt{Addr: cfg.RedisAddr, DB: cfg.RedisDB}
	return &Client{q: asynq.NewClient(opt), insp: asynq.NewInspector(opt), db: cfg.DB, store: store.New(cfg.DB), log: cfg.Log, prefix: cfg.QueuePrefix}
}

// Close releases the Redis connections.
func (c *Client) Close() {
	_ = c.q.Close()
	_ = c.insp.Close()
}

// APIDebounce is how long a run requested through the API waits before it
// may start, so that a burst of clicks joins one pending run.
const APIDebounce = 2 * time.Second

// RequestRun asks for a scoring run of the context's tenant and returns
// the run: a new one, or the one already pending that the request joined
// (coalescing happens in Postgres; see store.RequestRun). Poll it with
// ScoringRun or WaitRun.
func (c *Client) RequestRun(ctx context.Context, req store.RunRequest) (store.ScoringRun, error) {
	res, err := c.store.RequestRun(ctx, req)
	if err != nil {
		return store.ScoringRun{}, err
	}
	if res.Created {
		if err := c.enqueue(ctx, res.Outbox); err != nil {
			// The outbox row stands; the reconciler enqueues it later.
			c.log.Warn("enqueue scoring run; the reconciler will retry", "tenant_id", res.Outbox.TenantID, "run_id", res.Run.ID, "err", err)
		}
	}
	return res.Run, nil
}

// ScoringRun returns one run of the context's tenant.
func (c *Client) ScoringRun(ctx context.Context, id uuid.UUID) (store.ScoringRun, error) {
	return c.store.ScoringRun(ctx, id)
}

// ScoringRuns lists the context's tenant's runs, newest first.
func (c *Client) ScoringRuns(ctx context.Context, f store.ScoringRunFilter) ([]store.ScoringRun, error) {
	return c.store.ScoringRuns(ctx, f)
}

// WaitRun polls a run until it is done or failed, or ctx ends.
func (c *Client) WaitRun(ctx context.Context, id uuid.UUID, every time.Duration) (store.ScoringRun, error) {
	return pollUntil(ctx, every, func() (store.ScoringRun, error) { return c.store.ScoringRun(ctx, id) },
		store.ScoringRun.Finished)
}

// pollUntil calls get every interval (250 ms when not positive) until it
// fails, done holds for its answer, or ctx ends.
func pollUntil[T any](ctx context.Context, every time.Duration, get func() (T, error), done func(T) bool) (T, error) {
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	for {
		v, err := get()
		if err != nil || done(v) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(every):
		}
	}
}

// taskID is the deterministic asynq task id of an outbox row's attempt:
// enqueueing the same attempt twice is a no-op.
func taskID(kind string, ref uuid.UUID, attempt int) string {
	return fmt.Sprintf("%s:%s:%d", kind, ref, attempt)
}

// errAlreadyQueued reports that the attempt's task is already in Redis.
var errAlreadyQueued = errors.New("jobs: task already queued")

// enqueue hands an outbox row's current attempt to asynq.
func (c *Client) enqueue(ctx context.Context, row store.OutboxRow) error {
	opts := []asynq.Option{
		asynq.TaskID(taskID(row.Kind, row.Ref, row.Attempt)),
		asynq.Queue(c.prefix + row.Queue),
		asynq.MaxRetry(8),
		asynq.Timeout(time.Hour),
	}
	if time.Until(row.NotBefore) > 0 {
		opts = append(opts, asynq.ProcessAt(row.NotBefore))
	}
	_, err := c.q.EnqueueContext(ctx, asynq.NewTask(row.Kind, row.Payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return errAlreadyQueued
	}
	if err != nil {
		return err
	}
	_, err = c.db.ExecContext(ctx, `update control.outbox set enqueued_at = now() where id = $1`, row.ID)
	return err
}
