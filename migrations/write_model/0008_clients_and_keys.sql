-- depends: 0007_outbox_parked
-- Clients get a rate limit of their own (both columns, or neither: the service's default), and API
-- keys. Of a key only its id and the SHA-256 of its secret are kept. `version` orders a client's
-- changes for the read model, which may receive their events out of order.
ALTER TABLE client
    ADD COLUMN rate_limit_per_s NUMERIC(12, 3) CHECK (rate_limit_per_s > 0),
    ADD COLUMN rate_limit_burst INTEGER CHECK (rate_limit_burst > 0),
    ADD COLUMN version BIGINT NOT NULL DEFAULT 1,
    ADD CONSTRAINT client_rate_limit_whole CHECK ((rate_limit_per_s IS NULL) = (rate_limit_burst IS NULL));

CREATE TABLE api_key (
    key_id        TEXT PRIMARY KEY CHECK (key_id ~ '^[a-z0-9]{12}$'),
    client_id     TEXT NOT NULL REFERENCES client (id),
    secret_sha256 BYTEA NOT NULL CHECK (octet_length(secret_sha256) = 32),
    scopes        TEXT[] NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['orders:read', 'orders:write']),
    label         TEXT NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    revoked_at    TIMESTAMPTZ
);

CREATE INDEX api_key_client ON api_key (client_id, created_at);

-- A key changes once: when it is revoked. Nothing can un-revoke it or change what it is.
CREATE FUNCTION api_key_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL
       OR (NEW.key_id, NEW.client_id, NEW.secret_sha256, NEW.scopes, NEW.label, NEW.created_at)
          IS DISTINCT FROM (OLD.key_id, OLD.client_id, OLD.secret_sha256, OLD.scopes, OLD.label, OLD.created_at) THEN
        RAISE EXCEPTION 'API keys change only by being revoked: % refused', TG_OP USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER api_key_only_revoked
    BEFORE UPDATE OR DELETE ON api_key
    FOR EACH ROW EXECUTE FUNCTION api_key_refuse_change();

-- The operator's events (limit.changed) belong to no client.
ALTER TABLE outbox ALTER COLUMN client_id DROP NOT NULL;
