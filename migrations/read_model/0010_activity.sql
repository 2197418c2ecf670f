-- depends: 0002_clients_and_keys
-- Every event of the exchange buy_orders, kept by read-model-sync once per event id, in the exact
-- form it was published. GET /v1/activity serves a client's events from here, newest first.
CREATE TABLE activity (
    event_id    UUID PRIMARY KEY,
    type        TEXT NOT NULL,
    -- NULL for the operator's events (limit.changed), which no client is shown.
    client_id   TEXT,
    occurred_at TIMESTAMPTZ NOT NULL,
    -- The message body as received.
    body        TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Keyset pages: newest first per client, ties broken by the event id; one more per type filter.
CREATE INDEX activity_page ON activity (client_id, occurred_at DESC, event_id DESC);
CREATE INDEX activity_type_page ON activity (client_id, type, occurred_at DESC, event_id DESC);
