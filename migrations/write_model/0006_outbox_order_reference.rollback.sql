-- Sent rows that only reference their order are dropped (nothing is lost: they were published).
-- Unsent ones cannot get their payload back here, so SET NOT NULL fails while any remain:
-- let the relay drain the outbox first.
ALTER TABLE outbox DROP CONSTRAINT outbox_payload_or_order;
DELETE FROM outbox WHERE payload IS NULL AND published_at IS NOT NULL;
ALTER TABLE outbox ALTER COLUMN payload SET NOT NULL;
ALTER TABLE outbox DROP COLUMN buy_order_id;
