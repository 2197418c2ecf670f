-- Seeds the read model with :orders orders of client 'default' plus one in ten as many of client 'other'.
-- Orders arrive about every 2.5 ms over the seeded span; one in four shares its created_at with the order
-- before it (ties broken by sequence), as concurrent writes do. Physical order follows sequence.
INSERT INTO buy_order (id, sequence, client_id, currency, currency_amount, btc_rate, btc_amount,
                       rate_source, rate_quoted_at, created_at)
SELECT gen_random_uuid(), g, CASE WHEN g % 11 = 0 THEN 'other' ELSE 'default' END,
       (ARRAY['USD', 'EUR', 'GBP'])[1 + g % 3],
       (g % 100000 + 1)::numeric / 100, 48478.88, round((g % 100000 + 1)::numeric / 100 / 48478.88, 8),
       'bench', created_at, created_at
FROM generate_series(1, :orders + :orders / 10) AS g,
     LATERAL (SELECT timestamptz '2026-01-01 00:00:00Z'
                     + ((g - (CASE WHEN g % 4 = 0 THEN 1 ELSE 0 END))::bigint * 2500) * interval '1 microsecond'
                     AS created_at) AS t;
VACUUM ANALYZE buy_order;
