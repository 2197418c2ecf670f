-- The group roles stay: they belong to the server, and other databases may use them. CREATE on the
-- schema public stays revoked (PostgreSQL 15 does not grant it).
GRANT EXECUTE ON FUNCTION btc_total_add_orders() TO PUBLIC;
ALTER FUNCTION btc_total_add_orders() SECURITY INVOKER RESET search_path;
REVOKE ALL ON _yoyo_migration, client, api_key, buy_order, idempotency_key, outbox, outbox_parked, btc_total
    FROM buyorders_order_writer, buyorders_write_model_reader;
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM buyorders_order_writer, buyorders_write_model_reader',
                   current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;
