DROP INDEX buy_order_quote;
ALTER TABLE buy_order DROP COLUMN quote_id;
DROP TABLE quote;
