DROP INDEX buy_order_client_stream;
DROP INDEX buy_order_stream;
ALTER TABLE buy_order DROP COLUMN projected_sequence, DROP COLUMN projected_xid;
