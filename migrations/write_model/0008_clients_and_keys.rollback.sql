DELETE FROM outbox WHERE client_id IS NULL;
ALTER TABLE outbox ALTER COLUMN client_id SET NOT NULL;
DROP TABLE api_key;
DROP FUNCTION api_key_refuse_change();
ALTER TABLE client
    DROP CONSTRAINT client_rate_limit_whole,
    DROP COLUMN version,
    DROP COLUMN rate_limit_burst,
    DROP COLUMN rate_limit_per_s;
