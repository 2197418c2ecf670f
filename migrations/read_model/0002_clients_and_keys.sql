-- depends: 0001_buy_order
-- The projection of write_model.client and write_model.api_key, which fetch-buy-orders checks
-- requests against. No foreign keys: events of different clients and keys may arrive in any order.
CREATE TABLE client (
    id               TEXT PRIMARY KEY,
    rate_limit_per_s NUMERIC(12, 3),
    rate_limit_burst INTEGER,
    version          BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);

-- The write model seeds this client in its first migration; no event ever announced it.
INSERT INTO client (id, version, created_at) VALUES ('default', 1, now());

CREATE TABLE api_key (
    key_id        TEXT PRIMARY KEY,
    client_id     TEXT NOT NULL,
    secret_sha256 BYTEA NOT NULL,
    scopes        TEXT[] NOT NULL,
    label         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    revoked_at    TIMESTAMPTZ
);
