-- depends: 0002_buy_order
-- Events committed with the order; the relay publishes them and sets published_at.
CREATE TABLE outbox (
    sequence     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     UUID NOT NULL UNIQUE,
    client_id    TEXT NOT NULL REFERENCES client (id),
    routing_key  TEXT NOT NULL,
    payload      JSON NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    published_at TIMESTAMPTZ
);

CREATE INDEX outbox_unpublished ON outbox (sequence) WHERE published_at IS NULL;
