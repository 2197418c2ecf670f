-- depends: 0006_outbox_order_reference
-- Outbox rows the relay cannot render (their order is missing, or their stored payload is not a
-- valid event) are moved here with the reason, in the transaction that claimed them, so they never
-- block the rows behind them. An operator reads them here and moves a repaired one back to outbox.
CREATE TABLE outbox_parked (
    sequence     BIGINT PRIMARY KEY,
    event_id     UUID NOT NULL,
    client_id    TEXT NOT NULL,
    routing_key  TEXT NOT NULL,
    payload      JSON,
    buy_order_id UUID,
    created_at   TIMESTAMPTZ NOT NULL,
    parked_at    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    reason       TEXT NOT NULL
);
