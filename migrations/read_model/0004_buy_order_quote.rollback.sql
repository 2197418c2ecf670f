ALTER TABLE buy_order DROP COLUMN quote_id;
