CREATE OR REPLACE FUNCTION purge_idempotency_keys(retention interval, batch_size integer) RETURNS integer
LANGUAGE sql AS $$
    WITH deleted AS (
        DELETE FROM idempotency_key WHERE (client_id, key) IN (
            SELECT client_id, key FROM idempotency_key
            WHERE created_at < now() - retention
            ORDER BY created_at LIMIT batch_size FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM deleted;
$$;
-- CREATE OR REPLACE resets every attribute it does not name: the owner's rights and the fixed search
-- path again (grants stay).
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION purge_idempotency_keys(interval, integer) SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
END
$$;
