-- depends: 0003_grants 0010_activity 0011_buy_order_stream
-- Least privilege for the activity feed and the stream: read-model-sync keeps events (insert only,
-- a duplicate does nothing) and draws stream positions from the sequence; fetch-buy-orders reads.
GRANT SELECT ON activity TO buyorders_read_model_reader, buyorders_read_model_writer;
GRANT INSERT ON activity TO buyorders_read_model_writer;
GRANT USAGE ON SEQUENCE buy_order_projected_sequence TO buyorders_read_model_writer;
