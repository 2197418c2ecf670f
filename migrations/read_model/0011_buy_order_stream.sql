-- depends: 0001_buy_order
-- The position of each projected order in GET /v1/buy_orders/stream: the id of the transaction
-- that projected it, then a sequence within it. A reader only reads rows whose transaction id is
-- below the oldest transaction still running (pg_snapshot_xmin of its snapshot), so it never
-- passes an order that is still being committed, whatever order concurrent transactions commit in.
-- Orders projected before this migration get position (0, 0): before every stream.
CREATE SEQUENCE buy_order_projected_sequence;
ALTER TABLE buy_order
    ADD COLUMN projected_xid      XID8   NOT NULL DEFAULT '0',
    ADD COLUMN projected_sequence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE buy_order
    ALTER COLUMN projected_xid SET DEFAULT pg_current_xact_id(),
    ALTER COLUMN projected_sequence SET DEFAULT nextval('buy_order_projected_sequence');
ALTER SEQUENCE buy_order_projected_sequence OWNED BY buy_order.projected_sequence;

-- The fan-out reads every client's new orders from a position; a resuming stream, one client's.
CREATE INDEX buy_order_stream ON buy_order (projected_xid, projected_sequence);
CREATE INDEX buy_order_client_stream ON buy_order (client_id, projected_xid, projected_sequence);
