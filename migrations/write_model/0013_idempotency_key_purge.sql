-- depends: 0011_idempotency_key_retention 0012_quote_grants
-- The purge of expired idempotency keys locks the keys it deletes (FOR UPDATE SKIP LOCKED, so that
-- several create-buy-order instances purge side by side), and a row lock needs UPDATE privilege,
-- which create-buy-order's role has not on idempotency_key: it must never change a key. This
-- function runs one batch with its owner's rights, and does nothing else.
CREATE FUNCTION purge_idempotency_keys(retention interval, batch_size integer) RETURNS integer
LANGUAGE sql AS $$
    WITH deleted AS (
        DELETE FROM idempotency_key WHERE (client_id, key) IN (
            SELECT client_id, key FROM idempotency_key
            WHERE created_at < now() - retention
            ORDER BY created_at LIMIT batch_size FOR UPDATE SKIP LOCKED)
        RETURNING 1)
    SELECT count(*)::integer FROM deleted;
$$;
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION purge_idempotency_keys(interval, integer) SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
END
$$;
REVOKE ALL ON FUNCTION purge_idempotency_keys(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_idempotency_keys(interval, integer) TO buyorders_order_writer;
