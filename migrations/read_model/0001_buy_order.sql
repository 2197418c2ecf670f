-- The projection of write_model.buy_order, upserted by read-model-sync.
CREATE TABLE buy_order (
    id              UUID PRIMARY KEY,
    sequence        BIGINT NOT NULL,
    client_id       TEXT NOT NULL,
    currency        TEXT NOT NULL,
    currency_amount NUMERIC(11, 2) NOT NULL,
    btc_rate        NUMERIC(20, 8) NOT NULL,
    btc_amount      NUMERIC(16, 8) NOT NULL,
    rate_source     TEXT NOT NULL,
    rate_quoted_at  TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    projected_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Keyset pages: newest first per client, ties broken by the write-model sequence.
CREATE INDEX buy_order_page ON buy_order (client_id, created_at DESC, sequence DESC);
CREATE INDEX buy_order_currency_page ON buy_order (client_id, currency, created_at DESC, sequence DESC);
