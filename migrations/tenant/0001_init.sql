-- A tenant's own settings. Business tables (customers and everything that
-- hangs off them) come in later files.
CREATE TABLE settings (
    key        text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
