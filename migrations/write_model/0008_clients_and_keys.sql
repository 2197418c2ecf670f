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

-- The operator's events (limit.changed) belong to no client.
ALTER TABLE outbox ALTER COLUMN client_id DROP NOT NULL;
