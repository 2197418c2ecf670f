-- depends: 0009_grants 0010_quotes
-- Least privilege for quotes: create-buy-order makes them and reads them when an order names one;
-- they never change. read-model-sync reads what it verifies.
GRANT SELECT, INSERT ON quote TO buyorders_order_writer;
GRANT SELECT ON quote TO buyorders_write_model_reader;
