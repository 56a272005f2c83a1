// Package jobs owns background work on asynq: task types (named area:verb),
// payloads that carry the tenant id, handlers, the periodic scheduler and
// the outbox reconciler. Postgres is the source of truth; a task is only a
// trigger, so every handler is idempotent. asynq types never leave this
// package.
package jobs
