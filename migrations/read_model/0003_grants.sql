-- depends: 0002_clients_and_keys
-- Least privilege (README, "Least privilege"): what each service may do in the read model, granted
-- to NOLOGIN group roles. The login roles that run.sh, docker-compose and Kubernetes make are their
-- members; the owner, who runs migrate, keeps everything. A later migration grants on its new
-- tables beside them.
--   buyorders_read_model_reader  fetch-buy-orders: pages, single orders, API keys
--   buyorders_read_model_writer  read-model-sync: projects orders, clients and keys

-- Roles belong to the server, not to a database: each is made here only when missing (the platform
-- may have made it, and tests migrate many databases of one server at once).
DO $$
DECLARE
    role_name TEXT;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['buyorders_read_model_reader', 'buyorders_read_model_writer'] LOOP
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

-- Only the owner and these roles may connect; nobody else may create anything.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO buyorders_read_model_reader, buyorders_read_model_writer',
                   current_database());
END
$$;
-- PostgreSQL 15 grants no CREATE on public to PUBLIC; older versions did.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- _yoyo_migration: /ready checks that the migrations are in.
GRANT SELECT ON _yoyo_migration, buy_order, client, api_key TO buyorders_read_model_reader, buyorders_read_model_writer;
-- Upserts only: the projection never deletes.
GRANT INSERT, UPDATE ON buy_order, client, api_key TO buyorders_read_model_writer;
