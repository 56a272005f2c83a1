-- The CLV (minor units) at or above which a run put a customer in the
-- top decile (RunResult.VIPCLVThreshold). A ticket opened between runs is
-- raised for a top-decile customer against the last finished run's
-- threshold, the same rule the run applies; null means the run did not
-- record one and only the VIP-group rule applies.
ALTER TABLE scoring_runs ADD COLUMN vip_clv_threshold bigint;
