-- The page query of fetch-buy-orders after a last_reference (PageQuery without filters), planned as the
-- service plans it: the generic plan of a prepared statement. Kept identical to the service's SQL by
-- Tests/FetchBuyOrdersTests/BenchSQLTests.swift. psql variables: client, reference, limit.
SET plan_cache_mode = force_generic_plan;

PREPARE page_after_reference AS
SELECT o.id, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_text,
       o.currency, o.currency_amount, o.btc_rate, o.btc_amount, o.quote_id
FROM buy_order o
WHERE o.client_id = $1 AND (o.created_at, o.sequence) < (SELECT anchor.created_at, anchor.sequence FROM buy_order anchor WHERE anchor.client_id = $2 AND anchor.id = $3)
ORDER BY o.created_at DESC, o.sequence DESC
LIMIT $4;

EXPLAIN (ANALYZE, BUFFERS) EXECUTE page_after_reference(:'client', :'client', :'reference', :limit);
