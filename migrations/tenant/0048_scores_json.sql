-- A score's explanations (reasons, forecast verdict, health breakdown,
-- cross-sell) are written whole by every scoring run, once per customer,
-- and read back whole (the profile, the alert decision's usual gap via
-- ->>). Nothing queries inside them with jsonb operators or indexes, so
-- they are stored as json: validated text, kept as written. Parsing them
-- into jsonb was most of the cost of writing scores — COPY of 100,000
-- score rows took 1.9–3.4 s into jsonb columns and 0.76–1.0 s into json
-- (psql, 100k-customer benchmark tenant) — which at a million customers is
-- the difference of tens of seconds per run.
ALTER TABLE scores
    ALTER COLUMN reasons DROP DEFAULT,
    ALTER COLUMN reasons TYPE json USING reasons::json,
    ALTER COLUMN reasons SET DEFAULT '[]',
    ALTER COLUMN forecast_verdict TYPE json USING forecast_verdict::json,
    ALTER COLUMN health_components DROP DEFAULT,
    ALTER COLUMN health_components TYPE json USING health_components::json,
    ALTER COLUMN health_components SET DEFAULT '{}',
    ALTER COLUMN cross_sell DROP DEFAULT,
    ALTER COLUMN cross_sell TYPE json USING cross_sell::json,
    ALTER COLUMN cross_sell SET DEFAULT '[]';
