package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jmoiron/sqlx"

	"github.com/gomato/gomato/core"
	"github.com/gomato/gomato/tenant/store"
)

// importMaxAttempts bounds how often one import is started (crashes and
// transient errors included) before it is failed.
const importMaxAttempts = 5

// SubmitImport stores a file as a queued import of the context's tenant,
// with its outbox row in the same transaction, then enqueues the
// import:run task; if Redis is down the import still stands and the
// reconciler enqueues it later. The import runs as the actor in ctx.
// Follow it with Import or WaitImport.
func (c *Client) SubmitImport(ctx context.Context, sub store.ImportSubmission) (store.ImportJob, error) {
	job, row, err := c.store.SubmitImport(ctx, sub)
	if err != nil {
		return job, err
	}
	if err := c.enqueue(ctx, row); err != nil {
		c.log.Warn("enqueue import; the reconciler will retry", "tenant_id", row.TenantID, "import_id", job.ID, "err", err)
	}
	return job, nil
}

// RunImport stores a file as an import like SubmitImport, but runs it in
// this process at once (the CLI's way), through the same code as the
// worker: all or nothing, recorded in imports, and a succeeded import
// requests a scoring run. Nothing is enqueued for the import itself; if
// this process dies before the import ends, its outbox row is still
// pending and a worker's reconciler finishes it.
func (c *Client) RunImport(ctx context.Context, sub store.ImportSubmission) (store.ImportJob, error) {
	job, _, err := c.store.SubmitImport(ctx, sub)
	if err != nil {
		return job, err
	}
	done, err := runImport(ctx, c.db, c.store, c, c.log, job.ID)
	switch {
	case errors.Is(err, ErrBusy):
		// A worker's reconciler got there first: wait for it.
		return c.WaitImport(ctx, job.ID, 0)
	case err != nil && ctx.Err() == nil:
		if _, ferr := c.store.FailImport(ctx, job.ID, err); ferr != nil {
			c.log.Error("fail import", "import_id", job.ID, "err", ferr)
		}
	}
	return done, err
}

// Import returns one import of the context's tenant.
func (c *Client) Import(ctx context.Context, id uuid.UUID) (store.ImportJob, error) {
	return c.store.ImportJob(ctx, id)
}

// WaitImport polls an import until it has succeeded or failed, or ctx
// ends.
func (c *Client) WaitImport(ctx context.Context, id uuid.UUID, every time.Duration) (store.ImportJob, error) {
	return pollUntil(ctx, every, func() (store.ImportJob, error) { return c.store.ImportJob(ctx, id) },
		store.ImportJob.Finished)
}

// handleImportRun performs a stored import (see runImport). A delivery
// while another worker runs the same import is told it is busy and
// retried; one after the import ended does nothing. An unreadable file,
// or an import that has used its attempts or asynq's retries, fails with
// its message; other errors leave it running for asynq's retry.
func (w *Worker) handleImportRun(ctx context.Context, t *asynq.Task) error {
	var p store.ImportPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ImportID == uuid.Nil {
		return fmt.Errorf("import:run payload without an import id: %w", asynq.SkipRetry)
	}
	_, err := runImport(ctx, w.cfg.DB, w.store, w.client, w.cfg.Log, p.ImportID)
	if err == nil || errors.Is(err, ErrBusy) {
		return err
	}
	code := core.ErrorCode(err)
	if code == core.CodeNotFound {
		return fmt.Errorf("import %s: %w", p.ImportID, asynq.SkipRetry)
	}
	// Shutting down: leave the import running; asynq requeues the task.
	if ctx.Err() != nil {
		return err
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	if code == core.CodeInvalid || retried >= maxRetry {
		if _, ferr := w.store.FailImport(ctx, p.ImportID, err); ferr != nil {
			return ferr
		}
		return fmt.Errorf("import %s failed: %w: %w", p.ImportID, err, asynq.SkipRetry)
	}
	return err
}

// runImport does what remains of a stored import, holding its lock (a
// Postgres session lock, released by Postgres if this process dies, so a
// second delivery never runs it at the same time): the import itself
// (store.RunImport: all or nothing; a finished import is left alone), then
// for a succeeded import whose outbox row is still pending, a scoring run
// with the import trigger — coalesced in Postgres into the run already
// pending, if any — recorded on the import, which closes its outbox row.
func runImport(ctx context.Context, db *sqlx.DB, st *store.Store, c *Client, log *slog.Logger, id uuid.UUID) (store.ImportJob, error) {
	lock, ok, err := tryLock(ctx, db, store.ImportLockKey(id))
	if err != nil {
		return store.ImportJob{}, err
	}
	if !ok {
		return store.ImportJob{}, ErrBusy
	}
	defer lock.release()
	job, err := st.RunImport(ctx, id, importMaxAttempts)
	if err != nil || job.Status != store.ImportSucceeded || !job.Pending {
		return job, err
	}
	req := store.RunRequest{Trigger: store.TriggerImport, RequestedBy: job.RequestedBy, Delay: APIDebounce}
	run, err := c.RequestRun(ctx, req)
	var runID *uuid.UUID
	switch {
	case err == nil:
		runID = &run.ID
	case core.ErrorCode(err) == core.CodeConflict:
		// A run for another as-of date is waiting: the next ordinary run
		// (nightly or requested) scores the imported rows.
		log.Warn("import succeeded; no scoring run requested while another as-of run waits", "import_id", id, "err", err)
	default:
		return job, fmt.Errorf("request scoring run after import: %w", err)
	}
	if err := st.ImportScoringRequested(ctx, id, runID); err != nil {
		return job, err
	}
	job.ScoringRunID, job.Pending = runID, false
	return job, nil
}
