-- Scoring runs, alert history, and the rule that at most one run waits.
--
-- A run is requested (pending), claimed by a worker (running), and ends
-- done or failed. Requests are coalesced here, not in the queue: while a
-- run is pending, further requests join it, so five clicks make one run;
-- a failed run is not pending, so the next request starts a new one at
-- once.
CREATE TABLE scoring_runs (
    id               uuid PRIMARY KEY,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    trigger          text NOT NULL CHECK (trigger IN ('api', 'cli', 'schedule', 'import', 'demo')),
    -- Periodic slot (nightly:YYYY-MM-DD in the tenant's time zone), if any.
    slot             text,
    -- Score as of the end of this day (tenant time zone), using only data
    -- on or before it; null means as of the moment the run starts.
    as_of            date,
    -- The instant the run's data stops (set when the run starts).
    effective_at     timestamptz,
    requested_by     uuid,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    attempts         integer NOT NULL DEFAULT 0,
    error            text NOT NULL DEFAULT '',
    customers_scored integer NOT NULL DEFAULT 0,
    -- Model parameters and fit quality (BG/NBD, MBG/NBD, Gamma-Gamma,
    -- churn model), JSON so models can evolve without migrations.
    model            jsonb NOT NULL DEFAULT '{}',
    backtest_auc     double precision,
    -- Per risk level: customers, revenue at risk and CLV (minor units).
    low_customers    integer NOT NULL DEFAULT 0,
    medium_customers integer NOT NULL DEFAULT 0,
    high_customers   integer NOT NULL DEFAULT 0,
    low_clv          bigint NOT NULL DEFAULT 0,
    medium_clv       bigint NOT NULL DEFAULT 0,
    high_clv         bigint NOT NULL DEFAULT 0,
    low_revenue_at_risk    bigint NOT NULL DEFAULT 0,
    medium_revenue_at_risk bigint NOT NULL DEFAULT 0,
    high_revenue_at_risk   bigint NOT NULL DEFAULT 0,
    clv_total        bigint NOT NULL DEFAULT 0,
    revenue_at_risk  bigint NOT NULL DEFAULT 0,
    currency         text NOT NULL DEFAULT '',
    alerts_created   integer NOT NULL DEFAULT 0,
    -- Phase timings in milliseconds: load, fit, score, write.
    timings          jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX scoring_runs_one_pending ON scoring_runs ((true)) WHERE status = 'pending';
CREATE UNIQUE INDEX scoring_runs_slot_key ON scoring_runs (slot) WHERE slot IS NOT NULL;
CREATE INDEX scoring_runs_requested_idx ON scoring_runs (requested_at DESC, id DESC);

-- Alert history: every rescue alert ever raised, with why.
CREATE TABLE alerts (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    run_id      uuid NOT NULL REFERENCES scoring_runs(id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('risk_high', 'forecast_passed', 'baseline')),
    risk        double precision NOT NULL,
    risk_level  text NOT NULL,
    reasons     jsonb NOT NULL DEFAULT '[]',
    offer       jsonb NOT NULL DEFAULT '{}',
    task_id     uuid REFERENCES tasks(id) ON DELETE SET NULL,
    assignee_id uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, customer_id)
);
CREATE INDEX alerts_customer_idx ON alerts (customer_id, created_at DESC);

-- No second rescue task while one is open, enforced by Postgres.
CREATE UNIQUE INDEX tasks_one_open_rescue ON tasks (customer_id)
    WHERE source = 'rescue_alert' AND status IN ('open', 'snoozed');
