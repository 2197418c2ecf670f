-- Unsent rows that only reference their order cannot get their payload back here, so SET NOT NULL
-- fails while any remain: let the relay drain the outbox first.
ALTER TABLE outbox ADD CONSTRAINT outbox_client_id_fkey FOREIGN KEY (client_id) REFERENCES client (id);
ALTER TABLE outbox DROP CONSTRAINT outbox_payload_or_order;
ALTER TABLE outbox ALTER COLUMN payload SET NOT NULL;
ALTER TABLE outbox DROP COLUMN buy_order_id;
ALTER TABLE outbox ADD COLUMN published_at TIMESTAMPTZ;
CREATE INDEX outbox_unpublished ON outbox (sequence) WHERE published_at IS NULL;
