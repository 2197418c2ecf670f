-- depends: 0001_client
-- Orders: the golden source. Immutable once written.
CREATE TABLE buy_order (
    sequence        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              UUID NOT NULL UNIQUE,
    client_id       TEXT NOT NULL REFERENCES client (id),
    currency        TEXT NOT NULL CHECK (currency IN ('USD', 'EUR', 'GBP')),
    currency_amount NUMERIC(11, 2) NOT NULL CHECK (currency_amount > 0 AND currency_amount < 1000000000),
    btc_rate        NUMERIC(20, 8) NOT NULL CHECK (btc_rate > 0),
    btc_amount      NUMERIC(16, 8) NOT NULL CHECK (btc_amount > 0),
    rate_source     TEXT NOT NULL,
    rate_quoted_at  TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION buy_order_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'buy orders are immutable: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TRIGGER buy_order_immutable
    BEFORE UPDATE OR DELETE ON buy_order
    FOR EACH ROW EXECUTE FUNCTION buy_order_refuse_change();

CREATE TRIGGER buy_order_no_truncate
    BEFORE TRUNCATE ON buy_order
    FOR EACH STATEMENT EXECUTE FUNCTION buy_order_refuse_change();
