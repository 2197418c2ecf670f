-- Parked rows go back to the outbox (keeping their sequence), so rolling back loses no event.
INSERT INTO outbox (sequence, event_id, client_id, routing_key, payload, buy_order_id, created_at)
OVERRIDING SYSTEM VALUE
SELECT sequence, event_id, client_id, routing_key, payload, buy_order_id, created_at FROM outbox_parked;
DROP TABLE outbox_parked;
