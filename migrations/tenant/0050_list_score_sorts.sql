-- The customer list's score sorts read the customers with a score in
-- (value, customer id) order, in either direction, with a keyset cursor on
-- the pair (tenant/store/customers.go, scoreSortedIDs): one direction for
-- both columns, so the index can be walked backwards for descending sorts.
DROP INDEX IF EXISTS scores_clv_idx;
CREATE INDEX scores_clv_idx ON scores (clv, customer_id);
DROP INDEX IF EXISTS scores_risk_idx;
CREATE INDEX scores_risk_idx ON scores (risk, customer_id);
CREATE INDEX scores_forecast_idx ON scores (forecast_at, customer_id);
