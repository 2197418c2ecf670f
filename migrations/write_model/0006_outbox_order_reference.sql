-- depends: 0005_outbox
-- The outbox becomes a queue of unsent events that reference their order instead of copying it:
-- the relay renders the event from the order (immutable) when it publishes, and deletes the row
-- once the broker confirmed it. The order's transaction writes less, and marking a row sent no
-- longer rewrites it with all its index entries. Rows written before this migration keep their
-- payload and are published as they are.
DELETE FROM outbox WHERE published_at IS NOT NULL;
ALTER TABLE outbox DROP COLUMN published_at;
ALTER TABLE outbox ADD COLUMN buy_order_id UUID;
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_payload_or_order CHECK ((payload IS NULL) <> (buy_order_id IS NULL));
-- Written only in the same statement as its order: a per-row foreign-key check would protect nothing.
ALTER TABLE outbox DROP CONSTRAINT outbox_client_id_fkey;
