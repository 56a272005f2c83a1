-- Authentication and authorization: users, memberships, agency admins,
-- sessions, API tokens, invites, roles and their Casbin rules, audit log.

CREATE TABLE control.users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL CHECK (email <> ''),
    name          text NOT NULL,
    locale        text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'fa')),
    -- argon2id in PHC string form; null until the user sets a password
    -- (an invited user).
    password_hash text,
    operator      boolean NOT NULL DEFAULT false,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON control.users (lower(email));

-- A user's membership in a tenant. Roles are Casbin grouping rules
-- (control.authz_rules); the membership says whether the user belongs to
-- the tenant at all (pending until an invite is accepted).
CREATE TABLE control.memberships (
    tenant_id  uuid NOT NULL REFERENCES control.tenants(id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES control.users(id) ON DELETE CASCADE,
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_user_idx ON control.memberships (user_id);

CREATE TABLE control.agency_admins (
    agency_id  uuid NOT NULL REFERENCES control.agencies(id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES control.users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, user_id)
);
CREATE INDEX agency_admins_user_idx ON control.agency_admins (user_id);

-- Sessions: the secret is shown once (cookie and bearer); only its SHA-256
-- is stored.
CREATE TABLE control.sessions (
    token_hash   bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES control.users(id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON control.sessions (user_id);

-- API tokens for integrations: one tenant each, stored as SHA-256.
CREATE TABLE control.api_tokens (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES control.tenants(id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES control.users(id) ON DELETE CASCADE,
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    revoked_by   uuid REFERENCES control.users(id) ON DELETE SET NULL
);
CREATE INDEX api_tokens_tenant_user_idx ON control.api_tokens (tenant_id, user_id);

CREATE TABLE control.invites (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES control.tenants(id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES control.users(id) ON DELETE CASCADE,
    roles       text[] NOT NULL DEFAULT '{}',
    token_hash  bytea NOT NULL UNIQUE,
    created_by  uuid REFERENCES control.users(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);
CREATE INDEX invites_tenant_idx ON control.invites (tenant_id);

-- Roles of a tenant (the Casbin domain) with what Casbin does not model:
-- whether the role is one of the defaults and its own-records scope.
CREATE TABLE control.roles (
    tenant_id        uuid NOT NULL REFERENCES control.tenants(id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{1,39}$'),
    builtin          boolean NOT NULL DEFAULT false,
    own_records_only boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, name)
);

-- Casbin rules, one tenant (domain) per row so that loading, deleting and
-- cascading are always per tenant.
--   p: v0 role, v1 domain, v2 object, v3 action
--   g: v0 user, v1 role,   v2 domain
CREATE TABLE control.authz_rules (
    id        bigserial PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES control.tenants(id) ON DELETE CASCADE,
    ptype     text NOT NULL CHECK (ptype IN ('p', 'g')),
    v0        text NOT NULL,
    v1        text NOT NULL,
    v2        text NOT NULL,
    v3        text NOT NULL DEFAULT '',
    UNIQUE (tenant_id, ptype, v0, v1, v2, v3)
);

-- Tenants whose default roles have been written, so that a deleted default
-- role is not silently recreated.
CREATE TABLE control.authz_seeded (
    tenant_id uuid PRIMARY KEY REFERENCES control.tenants(id) ON DELETE CASCADE,
    seeded_at timestamptz NOT NULL DEFAULT now()
);

-- Audit log: who did what, when, from where. tenant_id is null for events
-- above tenants (logins, agency creation).
CREATE TABLE control.audit_log (
    id          uuid PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    tenant_id   uuid REFERENCES control.tenants(id) ON DELETE CASCADE,
    actor_id    uuid,
    actor_email text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target      text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_tenant_idx ON control.audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_actor_idx ON control.audit_log (actor_id, at DESC);
