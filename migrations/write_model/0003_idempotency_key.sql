-- depends: 0002_buy_order
-- One row per (client, key): the fingerprint of the first request and the order it produced.
CREATE TABLE idempotency_key (
    client_id    TEXT NOT NULL REFERENCES client (id),
    key          UUID NOT NULL,
    fingerprint  TEXT NOT NULL,
    buy_order_id UUID NOT NULL UNIQUE REFERENCES buy_order (id),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, key)
);
