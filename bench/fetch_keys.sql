-- Makes :count API keys of both scopes for client :'client' straight in the read model, as
-- read-model-sync projects them (the fetch benchmark has no write side), with a rate limit no run
-- reaches, and prints the keys, one per line. The secrets come from gen_random_uuid (122 random
-- bits each, two per secret): good enough for a benchmark's throwaway keys.
INSERT INTO client (id, rate_limit_per_s, rate_limit_burst, version, created_at)
VALUES (:'client', 1000000, 1000000, 1, now())
ON CONFLICT (id) DO UPDATE SET rate_limit_per_s = 1000000, rate_limit_burst = 1000000, version = client.version + 1;

WITH made AS (
    SELECT substr(md5(random()::text), 1, 12) AS key_id,
           decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex') AS secret
    FROM generate_series(1, :count)
), stored AS (
    INSERT INTO api_key (key_id, client_id, secret_sha256, scopes, label, created_at)
    SELECT key_id, :'client', sha256(secret), ARRAY['orders:read', 'orders:write'], 'bench', now() FROM made
    RETURNING key_id
)
SELECT 'bo_' || m.key_id || '_' || rtrim(translate(encode(m.secret, 'base64'), '+/', '-_'), '=')
FROM made m JOIN stored s USING (key_id);
