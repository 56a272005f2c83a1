// Package jobs owns background work on asynq: task types (named area:verb),
// payloads that carry the tenant id, handlers, the periodic scheduler and
// the outbox reconciler. Postgres is the source of truth; a task is only a
// trigger, so every handler is idempotent. asynq types never leave this
// package.
//
// For the rest of Gomato (web, the CLI, the demo loader) the entry point is
// Client:
//
//	c := jobs.NewClient(jobs.ClientConfig{RedisAddr: …, RedisDB: …, DB: db})
//	run, err := c.RequestRun(ctx, store.RunRequest{Trigger: store.TriggerAPI}) // ctx carries the tenant
//	run, err = c.WaitRun(ctx, run.ID, 250*time.Millisecond)                    // or poll c.ScoringRun
//
// RequestRun records the run and its outbox row in one tenant transaction
// (coalescing into the run already pending, if any), then enqueues the
// task; if Redis is down the request still stands and the reconciler
// enqueues it later. Runs are read back with ScoringRun and ScoringRuns.
//
// The worker (NewWorker, Run) serves the critical, default and low queues;
// binds each task's tenant from its payload (refusing, never retrying, a
// task without one); counts and times tasks per type in Prometheus
// (gomato_jobs_processed_total{type,outcome}, gomato_jobs_duration_seconds,
// gomato_jobs_running); and, in the one worker holding the Postgres leader
// lock, requests each tenant's nightly run in its own time zone and
// reconciles the outbox (re-enqueues pending work whose task vanished, and
// starts the next attempt of work whose worker died).
//
// QueueDashboard wraps asynqmon as a plain http.Handler for web to mount
// for platform operators only.
package jobs
