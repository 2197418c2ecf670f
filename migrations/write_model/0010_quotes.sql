-- depends: 0008_clients_and_keys
-- Quotes: a rate held for one client and one currency until expires_at, for at most one order. A
-- quote row never changes: it is used once an order names it, and the unique index lets only one
-- order do that. Non-quote orders (quote_id NULL) add nothing to the index. No foreign key from
-- buy_order: the order's transaction reads the quote under the btc_total lock before it names it.
CREATE TABLE quote (
    id             UUID PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES client (id),
    currency       TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP')),
    rate           NUMERIC(20, 8) NOT NULL CHECK (rate > 0),
    source         TEXT NOT NULL,
    -- When the price source gave the rate; the order made from the quote stores it as rate_quoted_at.
    rate_quoted_at TIMESTAMPTZ NOT NULL,
    quoted_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
    expires_at     TIMESTAMPTZ NOT NULL,
    CONSTRAINT quote_expires_after_quoted CHECK (expires_at > quoted_at)
);

ALTER TABLE buy_order ADD COLUMN quote_id UUID;
CREATE UNIQUE INDEX buy_order_quote ON buy_order (quote_id) WHERE quote_id IS NOT NULL;
