DROP FUNCTION purge_idempotency_keys(interval, integer);
