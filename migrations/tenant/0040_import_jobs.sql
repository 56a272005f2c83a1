-- Imports as background work (DESIGN §5): the uploaded file is kept here,
-- written in the same transaction as its control.outbox row, so an import
-- accepted with 202 cannot be lost between Postgres and Redis. The worker
-- (task import:run) loads it all or nothing and records the outcome here:
-- status, progress, counts, the bad rows when it fails, and timings.
CREATE TABLE imports (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('customers', 'contacts', 'invoices', 'payments')),
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    file_name       text NOT NULL DEFAULT '',
    format          text NOT NULL CHECK (format IN ('csv', 'xlsx')),
    -- Field → column header, as given with the file.
    mapping         jsonb NOT NULL DEFAULT '{}',
    file            bytea NOT NULL,
    file_size       bigint NOT NULL,
    -- Who asked, and how far they reach: the worker imports as them.
    requested_by    uuid,
    requested_email text NOT NULL DEFAULT '',
    own_records     boolean NOT NULL DEFAULT false,
    request_ip      text NOT NULL DEFAULT '',
    user_agent      text NOT NULL DEFAULT '',
    rows_total      integer NOT NULL DEFAULT 0,
    -- Rows checked so far; written outside the import's own transaction
    -- while it runs, so progress shows before anything commits.
    rows_done       integer NOT NULL DEFAULT 0,
    created         integer NOT NULL DEFAULT 0,
    updated         integer NOT NULL DEFAULT 0,
    unchanged       integer NOT NULL DEFAULT 0,
    -- Every bad row of a failed import: [{row, field, column, reason}].
    errors          jsonb NOT NULL DEFAULT '[]',
    -- Why a failed import failed when it was not its rows.
    error           text NOT NULL DEFAULT '',
    attempts        integer NOT NULL DEFAULT 0,
    -- The scoring run a succeeded import asked for (joined or new).
    scoring_run_id  uuid,
    requested_at    timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    duration_ms     bigint
);
CREATE INDEX imports_requested_idx ON imports (requested_at DESC, id DESC);
