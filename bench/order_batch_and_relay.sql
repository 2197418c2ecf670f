-- pgbench script (bench/outbox_row_cost.sh): one batch of :batch orders of client 'bench' as
-- create-buy-order's writer sends it (Sources/CreateBuyOrder/Orders/OrderStore.swift, two pipelines),
-- then the outbox relay's work for their events, in one of two designs:
--   :outbox = 1  today's: one outbox row per order, inserted with it; the relay claims the rows joined
--                to their orders, and deletes them once the broker confirmed them, in one transaction
--                (Sources/CreateBuyOrder/Outbox/OutboxStore.swift);
--   :outbox = 0  issue 16's lead: no row per order; the relay reads the orders after its position by
--                sequence and moves its position, one row of bench_relay_position, past them.
-- The inserts are one statement for both: with :outbox = 0 its outbox insert takes no row.
-- Run with -M prepared, as the services prepare their statements. Timestamps come back as plain text
-- (pgbench reads `:NAME` as a variable, so to_char's format cannot be written here).
\startpipeline
BEGIN;
SELECT total::text, limit_btc::text FROM btc_total FOR UPDATE;
SELECT k.key::text AS key, k.fingerprint, o.id::text AS id, o.sequence
FROM unnest(array_fill('bench'::text, ARRAY[:batch::int]), ARRAY(SELECT gen_random_uuid() FROM generate_series(1, :batch::int)))
    AS r (client_id, key)
CROSS JOIN LATERAL (
    SELECT * FROM idempotency_key k WHERE k.client_id = r.client_id AND k.key = r.key LIMIT 1
) k
JOIN buy_order o ON o.id = k.buy_order_id;
\endpipeline
\startpipeline
WITH input AS (
    SELECT gen_random_uuid() AS id, 'bench'::text AS client_id, 'USD'::text AS currency,
        10.00::numeric AS currency_amount, 48478.88::numeric AS btc_rate, 0.00020628::numeric AS btc_amount,
        'coinbase'::text AS rate_source, now() AS rate_quoted_at, gen_random_uuid() AS key,
        md5(random()::text) AS fingerprint, gen_random_uuid() AS event_id, ''::text AS quote
    FROM generate_series(1, :batch::int)
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
    SELECT event_id, client_id, 'buy_order.created', id FROM input WHERE :outbox::int = 1
)
SELECT * FROM new_orders;
SELECT pg_notify('buy_order_outbox', '');
COMMIT;
\endpipeline
\if :outbox
\startpipeline
BEGIN;
SELECT ob.sequence AS outbox_sequence, ob.event_id::text AS event_id, ob.routing_key,
    ob.payload::text AS payload, ob.buy_order_id::text AS buy_order_id,
    o.id::text AS id, o.sequence, o.client_id, o.currency, o.currency_amount::text AS currency_amount,
    o.btc_rate::text AS btc_rate, o.btc_amount::text AS btc_amount, o.rate_source,
    o.rate_quoted_at::text AS rate_quoted_at, o.created_at::text AS created_at, o.quote_id::text AS quote_id
FROM outbox ob LEFT JOIN buy_order o ON o.id = ob.buy_order_id
ORDER BY ob.sequence LIMIT :batch::int FOR UPDATE OF ob SKIP LOCKED;
\endpipeline
\startpipeline
DELETE FROM outbox WHERE sequence = ANY(ARRAY(SELECT sequence FROM outbox ORDER BY sequence LIMIT :batch::int));
COMMIT;
\endpipeline
\else
\startpipeline
BEGIN;
SELECT sequence FROM bench_relay_position FOR UPDATE;
SELECT o.id::text AS id, o.sequence, o.client_id, o.currency, o.currency_amount::text AS currency_amount,
    o.btc_rate::text AS btc_rate, o.btc_amount::text AS btc_amount, o.rate_source,
    o.rate_quoted_at::text AS rate_quoted_at, o.created_at::text AS created_at, o.quote_id::text AS quote_id
FROM buy_order o WHERE o.sequence > (SELECT sequence FROM bench_relay_position)
ORDER BY o.sequence LIMIT :batch::int;
\endpipeline
\startpipeline
UPDATE bench_relay_position p SET sequence = coalesce((
    SELECT max(sequence) FROM (
        SELECT sequence FROM buy_order WHERE sequence > p.sequence ORDER BY sequence LIMIT :batch::int) AS batch
), p.sequence);
COMMIT;
\endpipeline
\endif
