-- depends: 0008_clients_and_keys
-- Least privilege (README, "Least privilege"): what each service may do in the write model, granted
-- to NOLOGIN group roles. The login roles that run.sh, docker-compose and Kubernetes make are their
-- members; the owner, who runs migrate and buyorders-admin, keeps everything. A later migration
-- grants on its new tables beside them.
--   buyorders_order_writer        create-buy-order: takes orders, relays the outbox, checks API keys
--   buyorders_write_model_reader  read-model-sync: reads the golden source (rebuild, verify)

-- Roles belong to the server, not to a database: each is made here only when missing (the platform
-- may have made it, and tests migrate many databases of one server at once).
DO $$
DECLARE
    role_name TEXT;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['buyorders_order_writer', 'buyorders_write_model_reader'] LOOP
        CONTINUE WHEN EXISTS (SELECT FROM pg_roles WHERE rolname = role_name);
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
        EXCEPTION
            -- Made meanwhile by a migration of another database.
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role % is missing, and % may not create it', role_name, current_user
                    USING HINT = format('let a superuser run: CREATE ROLE %I NOLOGIN', role_name);
        END;
    END LOOP;
END
$$;

-- Only the owner and these roles may connect. Nobody else may create anything: no temporary table
-- either, which could also shadow a table for the SECURITY DEFINER function below.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO buyorders_order_writer, buyorders_write_model_reader',
                   current_database());
END
$$;
-- PostgreSQL 15 grants no CREATE on public to PUBLIC; older versions did.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- /ready checks that the migrations are in.
GRANT SELECT ON _yoyo_migration TO buyorders_order_writer;
-- API keys and per-client rate limits.
GRANT SELECT ON client, api_key TO buyorders_order_writer;
-- Orders are immutable: no UPDATE or DELETE (the triggers refuse them too).
GRANT SELECT, INSERT ON buy_order TO buyorders_order_writer;
-- DELETE: the purge of expired keys.
GRANT SELECT, INSERT, DELETE ON idempotency_key TO buyorders_order_writer;
-- DELETE: the relay deletes sent rows and moves unrenderable ones to outbox_parked. Its claim
-- (SELECT ... FOR UPDATE SKIP LOCKED) needs UPDATE on some column: created_at only feeds the
-- backlog's age.
GRANT SELECT, INSERT, DELETE, UPDATE (created_at) ON outbox TO buyorders_order_writer;
GRANT SELECT, INSERT ON outbox_parked TO buyorders_order_writer;
-- The order path locks the total (SELECT ... FOR UPDATE, which needs UPDATE on some column):
-- singleton can only ever be TRUE. The total grows through the trigger below, and the limit is the
-- operator's (buyorders-admin limit set).
GRANT SELECT, UPDATE (singleton) ON btc_total TO buyorders_order_writer;

-- The trigger that adds each order to the total runs as its owner, with a fixed search_path.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION btc_total_add_orders() SECURITY DEFINER SET search_path = %I, pg_temp',
                   current_schema());
END
$$;
REVOKE EXECUTE ON FUNCTION btc_total_add_orders() FROM PUBLIC;

GRANT SELECT ON buy_order, client, api_key TO buyorders_write_model_reader;
