-- The group roles stay: they belong to the server, and other databases may use them. CREATE on the
-- schema public stays revoked (PostgreSQL 15 does not grant it).
REVOKE ALL ON _yoyo_migration, buy_order, client, api_key FROM buyorders_read_model_reader, buyorders_read_model_writer;
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM buyorders_read_model_reader, buyorders_read_model_writer',
                   current_database());
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO PUBLIC', current_database());
END
$$;
