-- pgbench script (bench/single_put.sh): one order's transaction as create-buy-order's writer sends it
-- for a batch of one (Sources/CreateBuyOrder/Orders/OrderStore.swift), in its two pipelines: BEGIN,
-- the total's lock and the key probe; then the inserts, the relay's signal and COMMIT. Values are
-- generated here, each array of one element; run with -M prepared, as the service prepares them.
-- The timestamps come back as plain text: pgbench reads `:NAME` as a variable, so to_char's format
-- (HH24:MI:SS) cannot be written here.
\startpipeline
BEGIN;
SELECT total::text, limit_btc::text FROM btc_total FOR UPDATE;
SELECT k.key::text AS key, k.fingerprint, o.id::text AS id, o.sequence
FROM unnest(ARRAY['demo']::text[], ARRAY[gen_random_uuid()]::uuid[]) AS r (client_id, key)
CROSS JOIN LATERAL (
    SELECT * FROM idempotency_key k WHERE k.client_id = r.client_id AND k.key = r.key LIMIT 1
) k
JOIN buy_order o ON o.id = k.buy_order_id;
\endpipeline
\startpipeline
WITH input AS (
    SELECT * FROM unnest(ARRAY[gen_random_uuid()]::uuid[], ARRAY['demo']::text[], ARRAY['USD']::text[],
        ARRAY['10.00']::numeric[], ARRAY['48478.88']::numeric[], ARRAY['0.00020628']::numeric[],
        ARRAY['coinbase']::text[], ARRAY[now()::text]::timestamptz[], ARRAY[gen_random_uuid()]::uuid[],
        ARRAY['fingerprint']::text[], ARRAY[gen_random_uuid()]::uuid[], ARRAY['']::text[])
        AS i (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at,
              key, fingerprint, event_id, quote)
), new_orders AS (
    INSERT INTO buy_order AS o (id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at, quote_id)
    SELECT id, client_id, currency, currency_amount, btc_rate, btc_amount, rate_source, rate_quoted_at,
        nullif(quote, '')::uuid FROM input
    RETURNING o.id::text AS id, o.sequence, o.client_id, o.currency, o.currency_amount::text AS currency_amount,
        o.btc_rate::text AS btc_rate, o.btc_amount::text AS btc_amount, o.rate_source,
        o.rate_quoted_at::text AS rate_quoted_at, o.created_at::text AS created_at, o.quote_id::text AS quote_id
), keys AS (
    INSERT INTO idempotency_key (client_id, key, fingerprint, buy_order_id)
    SELECT client_id, key, fingerprint, id FROM input
), events AS (
    INSERT INTO outbox (event_id, client_id, routing_key, buy_order_id)
    SELECT event_id, client_id, 'buy_order.created', id FROM input
)
SELECT * FROM new_orders;
SELECT pg_notify('buy_order_outbox', '');
COMMIT;
\endpipeline
