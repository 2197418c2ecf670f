-- depends: 0005_outbox
-- An order's outbox row references the order instead of copying it: the relay renders the event
-- from the order (immutable) when it publishes, so the order's own transaction writes less.
-- Rows written before this migration keep their payload and are published as they are.
ALTER TABLE outbox ADD COLUMN buy_order_id UUID REFERENCES buy_order (id);
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_payload_or_order CHECK ((payload IS NULL) <> (buy_order_id IS NULL));
