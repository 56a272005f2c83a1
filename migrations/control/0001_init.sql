-- Control plane: agencies and tenants. Users, memberships, policies, audit
-- and plugin installations come in later files.
CREATE SCHEMA IF NOT EXISTS ext;
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA ext;
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA ext;

CREATE TABLE control.agencies (
    id         uuid PRIMARY KEY,
    slug       text NOT NULL UNIQUE,
    name       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE control.tenants (
    id         uuid PRIMARY KEY,
    agency_id  uuid REFERENCES control.agencies(id),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$'),
    name       text NOT NULL,
    schema     text NOT NULL UNIQUE CHECK (schema ~ '^t_[0-9a-f]{12}$'),
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    locale     text NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'fa')),
    currency   text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    time_zone  text NOT NULL DEFAULT 'UTC',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_agency_idx ON control.tenants (agency_id);
