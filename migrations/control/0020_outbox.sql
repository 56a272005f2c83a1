-- The job outbox: work that must not be lost (scoring runs, imports, alert
-- actions) is recorded here in the same transaction as its cause, before
-- any task reaches Redis. A tenant transaction writes it schema-qualified,
-- so the reconciler reads one control table instead of scanning every
-- tenant schema. A row stays pending until the handler finishes the work
-- in the same transaction as marking it done; the reconciler re-enqueues
-- pending rows whose task vanished (Redis flushed or restarted, worker
-- killed). Each (re)enqueue uses the deterministic task id
-- <kind>:<ref>:<attempt>, so a second enqueue of the same attempt is a
-- no-op in asynq.
CREATE TABLE control.outbox (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES control.tenants(id) ON DELETE CASCADE,
    -- The asynq task type (area:verb) that performs the work.
    kind        text NOT NULL CHECK (kind ~ '^[a-z_]+:[a-z_]+$'),
    -- The tenant record the work is about (a scoring run, an import).
    ref         uuid NOT NULL,
    queue       text NOT NULL DEFAULT 'default' CHECK (queue IN ('critical', 'default', 'low')),
    payload     jsonb NOT NULL DEFAULT '{}',
    -- Handlers hold a session advisory lock on hashtextextended(lock_key, 0)
    -- while they work; a free lock means nobody is working on the row.
    lock_key    text NOT NULL,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done')),
    attempt     integer NOT NULL DEFAULT 1,
    -- Not before: a debounced request waits until then.
    not_before  timestamptz NOT NULL DEFAULT now(),
    enqueued_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    UNIQUE (kind, ref)
);
CREATE INDEX outbox_pending_idx ON control.outbox (created_at) WHERE status = 'pending';
CREATE INDEX outbox_tenant_idx ON control.outbox (tenant_id);

-- Periodic slots already turned into work: the scheduler inserts a row per
-- (tenant, slot) in the same transaction as the run it requests, so a slot
-- is acted on once however many schedulers run.
CREATE TABLE control.schedule_slots (
    tenant_id  uuid NOT NULL REFERENCES control.tenants(id) ON DELETE CASCADE,
    slot       text NOT NULL,
    ref        uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, slot)
);
