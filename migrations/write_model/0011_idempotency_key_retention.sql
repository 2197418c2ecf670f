-- depends: 0003_idempotency_key
-- create-buy-order purges keys older than IDEMPOTENCY_KEY_RETENTION_H in small batches, oldest
-- first: this index finds them without scanning the table.
CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at);
