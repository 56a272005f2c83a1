-- The customer 360: customers and everything that hangs off them.
-- Conventions: uuid (v7) ids made by the application; money is bigint minor
-- units beside an ISO 4217 code; times are timestamptz, calendar days date;
-- *_norm / search_norm columns hold text normalised by core (Persian and
-- Arabic letters folded, ZWNJ and diacritics removed, digits in ASCII) so
-- stored data and queries meet in the same form; external_ref lets
-- integrations upsert. Owners and authors are control-plane user ids: no
-- cross-schema foreign keys, validated by the application.

CREATE TABLE groups (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    is_vip      boolean NOT NULL DEFAULT false,
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_name_key ON groups (lower(name));

CREATE TABLE specialties (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    name_norm  text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE custom_field_defs (
    id         uuid PRIMARY KEY,
    entity     text NOT NULL CHECK (entity IN ('customer', 'contact')),
    key        text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,39}$'),
    label      text NOT NULL,
    type       text NOT NULL CHECK (type IN ('text', 'number', 'date', 'select', 'multi_select')),
    options    jsonb NOT NULL DEFAULT '[]',
    required   boolean NOT NULL DEFAULT false,
    position   integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (entity, key)
);

CREATE TABLE customers (
    id                     uuid PRIMARY KEY,
    name                   text NOT NULL,
    email                  text NOT NULL DEFAULT '',
    phone                  text NOT NULL DEFAULT '',
    website                text NOT NULL DEFAULT '',
    vat_id                 text NOT NULL DEFAULT '',
    status                 text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'legacy')),
    owner_id               uuid,
    source                 text NOT NULL DEFAULT '',
    billing_street         text NOT NULL DEFAULT '',
    billing_city           text NOT NULL DEFAULT '',
    billing_province       text NOT NULL DEFAULT '',
    billing_postal_code    text NOT NULL DEFAULT '',
    billing_country        text NOT NULL DEFAULT '' CHECK (billing_country ~ '^([A-Z]{2})?$'),
    shipping_street        text NOT NULL DEFAULT '',
    shipping_city          text NOT NULL DEFAULT '',
    shipping_province      text NOT NULL DEFAULT '',
    shipping_postal_code   text NOT NULL DEFAULT '',
    shipping_country       text NOT NULL DEFAULT '' CHECK (shipping_country ~ '^([A-Z]{2})?$'),
    value_added_deals      integer NOT NULL DEFAULT 0 CHECK (value_added_deals >= 0),
    -- Written by scoring; a user override wins until cleared or its date passes.
    sales_forecast_at      timestamptz,
    sales_forecast         jsonb,
    forecast_override_at   timestamptz,
    forecast_override_by   uuid,
    forecast_override_set  timestamptz,
    custom                 jsonb NOT NULL DEFAULT '{}',
    search_norm            text NOT NULL DEFAULT '',
    external_ref           text,
    -- Denormalised facts, kept in the same transaction as the writes that change them.
    first_purchase_on      date,
    last_purchase_on       date,
    invoiced_total         bigint NOT NULL DEFAULT 0,
    paid_total             bigint NOT NULL DEFAULT 0,
    outstanding_total      bigint NOT NULL DEFAULT 0,
    overdue_total          bigint NOT NULL DEFAULT 0,
    overdue_invoices       integer NOT NULL DEFAULT 0,
    open_tickets           integer NOT NULL DEFAULT 0,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customers_external_ref_key ON customers (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX customers_status_name_idx ON customers (status, name, id);
CREATE INDEX customers_owner_idx ON customers (owner_id, status, name, id);
CREATE INDEX customers_created_idx ON customers (created_at, id);
CREATE INDEX customers_updated_idx ON customers (updated_at, id);
CREATE INDEX customers_last_purchase_idx ON customers (last_purchase_on, id);
CREATE INDEX customers_search_idx ON customers USING gin (search_norm ext.gin_trgm_ops);
CREATE INDEX customers_custom_idx ON customers USING gin (custom jsonb_path_ops);
CREATE INDEX customers_country_idx ON customers (billing_country, billing_province, billing_city);

CREATE TABLE customer_groups (
    customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    group_id    uuid NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    PRIMARY KEY (customer_id, group_id)
);
CREATE INDEX customer_groups_group_idx ON customer_groups (group_id, customer_id);

CREATE TABLE customer_specialties (
    customer_id  uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    specialty_id uuid NOT NULL REFERENCES specialties(id) ON DELETE CASCADE,
    PRIMARY KEY (customer_id, specialty_id)
);
CREATE INDEX customer_specialties_specialty_idx ON customer_specialties (specialty_id, customer_id);

CREATE TABLE contacts (
    id                   uuid PRIMARY KEY,
    customer_id          uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    first_name           text NOT NULL DEFAULT '',
    last_name            text NOT NULL DEFAULT '',
    email                text NOT NULL DEFAULT '',
    phone                text NOT NULL DEFAULT '',
    title                text NOT NULL DEFAULT '',
    is_primary           boolean NOT NULL DEFAULT false,
    active               boolean NOT NULL DEFAULT true,
    email_consent        boolean NOT NULL DEFAULT false,
    email_consent_at     timestamptz,
    email_consent_source text NOT NULL DEFAULT '',
    sms_consent          boolean NOT NULL DEFAULT false,
    sms_consent_at       timestamptz,
    sms_consent_source   text NOT NULL DEFAULT '',
    custom               jsonb NOT NULL DEFAULT '{}',
    search_norm          text NOT NULL DEFAULT '',
    external_ref         text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_customer_idx ON contacts (customer_id);
CREATE UNIQUE INDEX contacts_one_primary ON contacts (customer_id) WHERE is_primary;
CREATE UNIQUE INDEX contacts_external_ref_key ON contacts (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX contacts_search_idx ON contacts USING gin (search_norm ext.gin_trgm_ops);

CREATE TABLE notes (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind        text NOT NULL DEFAULT 'note' CHECK (kind IN ('note', 'call', 'meeting', 'email', 'activity')),
    body        text NOT NULL,
    author_id   uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_customer_idx ON notes (customer_id, created_at DESC);

CREATE TABLE tasks (
    id            uuid PRIMARY KEY,
    customer_id   uuid REFERENCES customers(id) ON DELETE CASCADE,
    title         text NOT NULL,
    body          text NOT NULL DEFAULT '',
    due_at        timestamptz,
    assignee_id   uuid,
    created_by    uuid,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'snoozed', 'cancelled')),
    source        text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'rescue_alert', 'workflow', 'import')),
    details       jsonb NOT NULL DEFAULT '{}',
    snoozed_until timestamptz,
    completed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_customer_idx ON tasks (customer_id, created_at DESC);
CREATE INDEX tasks_assignee_idx ON tasks (assignee_id, status, due_at);
CREATE INDEX tasks_created_by_idx ON tasks (created_by, status);

CREATE TABLE tickets (
    id              uuid PRIMARY KEY,
    customer_id     uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    contact_id      uuid REFERENCES contacts(id) ON DELETE SET NULL,
    subject         text NOT NULL,
    body            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'answered', 'on_hold', 'closed')),
    priority        text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    priority_reason text NOT NULL DEFAULT '',
    department      text NOT NULL DEFAULT '',
    opened_at       timestamptz NOT NULL DEFAULT now(),
    closed_at       timestamptz,
    satisfaction    smallint CHECK (satisfaction BETWEEN 1 AND 5),
    external_ref    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tickets_customer_idx ON tickets (customer_id, opened_at DESC);
CREATE INDEX tickets_open_idx ON tickets (customer_id) WHERE status <> 'closed';
CREATE UNIQUE INDEX tickets_external_ref_key ON tickets (external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE contracts (
    id            uuid PRIMARY KEY,
    customer_id   uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    subject       text NOT NULL,
    type          text NOT NULL DEFAULT '',
    value         bigint NOT NULL DEFAULT 0,
    -- Monthly value, for contract-based CLV.
    monthly_value bigint NOT NULL DEFAULT 0,
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    start_on      date NOT NULL,
    end_on        date,
    signed        boolean NOT NULL DEFAULT false,
    signed_at     timestamptz,
    renewal_of    uuid REFERENCES contracts(id) ON DELETE SET NULL,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'ended', 'cancelled', 'renewed')),
    -- An imported churn flag; null means "derive from end and renewal".
    churned       boolean,
    external_ref  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (end_on IS NULL OR end_on >= start_on)
);
CREATE INDEX contracts_customer_idx ON contracts (customer_id, start_on DESC);
CREATE UNIQUE INDEX contracts_external_ref_key ON contracts (external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE proposals (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    subject     text NOT NULL,
    total       bigint NOT NULL DEFAULT 0,
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status      text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sent', 'accepted', 'declined', 'expired')),
    sent_on     date,
    open_till   date,
    external_ref text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX proposals_customer_idx ON proposals (customer_id, created_at DESC);
CREATE UNIQUE INDEX proposals_external_ref_key ON proposals (external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE invoices (
    id           uuid PRIMARY KEY,
    customer_id  uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    number       text NOT NULL UNIQUE,
    kind         text NOT NULL DEFAULT 'invoice' CHECK (kind IN ('invoice', 'credit_note')),
    -- For a credit note: the invoice it corrects, when known.
    credit_of    uuid REFERENCES invoices(id) ON DELETE SET NULL,
    issued_on    date NOT NULL,
    due_on       date,
    currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- Signed: a credit note's total is negative.
    total        bigint NOT NULL,
    paid_total   bigint NOT NULL DEFAULT 0,
    status       text NOT NULL DEFAULT 'unpaid' CHECK (status IN ('unpaid', 'partial', 'paid', 'overdue', 'cancelled')),
    external_ref text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (due_on IS NULL OR due_on >= issued_on)
);
CREATE INDEX invoices_customer_idx ON invoices (customer_id, issued_on DESC);
CREATE INDEX invoices_issued_idx ON invoices (issued_on);
CREATE INDEX invoices_open_idx ON invoices (customer_id, due_on) WHERE status IN ('unpaid', 'partial', 'overdue');
CREATE UNIQUE INDEX invoices_external_ref_key ON invoices (external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE invoice_lines (
    id          uuid PRIMARY KEY,
    invoice_id  uuid NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
    position    integer NOT NULL,
    product     text NOT NULL DEFAULT '',
    category    text NOT NULL DEFAULT '',
    -- Quantities are exact decimals (never float), negative on credit notes.
    quantity    numeric(18, 4) NOT NULL DEFAULT 1,
    unit_price  bigint NOT NULL DEFAULT 0,
    amount      bigint NOT NULL,
    UNIQUE (invoice_id, position)
);
CREATE INDEX invoice_lines_category_idx ON invoice_lines (category);

CREATE TABLE payments (
    id             uuid PRIMARY KEY,
    customer_id    uuid REFERENCES customers(id) ON DELETE CASCADE,
    invoice_id     uuid REFERENCES invoices(id) ON DELETE SET NULL,
    -- A payment may arrive before its invoice: it names the invoice by
    -- number or external ref and is linked when the invoice comes.
    invoice_number text NOT NULL DEFAULT '',
    invoice_ref    text NOT NULL DEFAULT '',
    amount         bigint NOT NULL CHECK (amount > 0),
    currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    paid_on        date NOT NULL,
    method         text NOT NULL DEFAULT '',
    transaction_id text NOT NULL DEFAULT '',
    external_ref   text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_customer_idx ON payments (customer_id, paid_on DESC);
CREATE INDEX payments_invoice_idx ON payments (invoice_id);
CREATE INDEX payments_unlinked_idx ON payments (invoice_number, invoice_ref) WHERE invoice_id IS NULL;
CREATE UNIQUE INDEX payments_external_ref_key ON payments (external_ref) WHERE external_ref IS NOT NULL;

CREATE TABLE referrals (
    id          uuid PRIMARY KEY,
    referrer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    referred_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    referred_on date NOT NULL DEFAULT current_date,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'qualified', 'rewarded', 'cancelled')),
    note        text NOT NULL DEFAULT '',
    generated   boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (referrer_id, referred_id),
    CHECK (referrer_id <> referred_id)
);
CREATE INDEX referrals_referred_idx ON referrals (referred_id);

CREATE TABLE rewards (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    referral_id uuid REFERENCES referrals(id) ON DELETE SET NULL,
    kind        text NOT NULL CHECK (kind IN ('discount', 'credit', 'gift', 'points', 'cash')),
    amount      bigint NOT NULL DEFAULT 0,
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    reason      text NOT NULL DEFAULT '',
    issued_at   timestamptz NOT NULL DEFAULT now(),
    issued_by   uuid,
    generated   boolean NOT NULL DEFAULT false
);
CREATE INDEX rewards_customer_idx ON rewards (customer_id, issued_at DESC);

-- The latest score of each customer, written by scoring runs.
CREATE TABLE scores (
    customer_id          uuid PRIMARY KEY REFERENCES customers(id) ON DELETE CASCADE,
    run_id               uuid NOT NULL,
    computed_at          timestamptz NOT NULL,
    model                text NOT NULL,
    risk                 double precision NOT NULL,
    risk_level           text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
    reasons              jsonb NOT NULL DEFAULT '[]',
    p_alive              double precision,
    expected_purchases   double precision,
    expected_spend       bigint,
    forecast_at          timestamptz,
    forecast_verdict     jsonb,
    clv                  bigint NOT NULL DEFAULT 0,
    r                    smallint,
    f                    smallint,
    m                    smallint,
    segment              text NOT NULL DEFAULT '',
    health               smallint,
    health_components    jsonb NOT NULL DEFAULT '{}',
    cross_sell           jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX scores_clv_idx ON scores (clv DESC, customer_id);
CREATE INDEX scores_risk_idx ON scores (risk DESC, customer_id);
CREATE INDEX scores_level_idx ON scores (risk_level, customer_id);
CREATE INDEX scores_segment_idx ON scores (segment, customer_id);

-- Idempotency-Key records for create endpoints used by integrations: the
-- same key with the same body replays the first response for 24 h; with a
-- different body it is a conflict.
CREATE TABLE idempotency_keys (
    caller       text NOT NULL,
    key          text NOT NULL,
    route        text NOT NULL,
    request_hash bytea NOT NULL,
    status       integer NOT NULL,
    response     bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (caller, key, route)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
