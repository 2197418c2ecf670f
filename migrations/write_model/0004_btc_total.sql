-- depends: 0002_buy_order
-- The BTC sold so far and its hard limit, in one row. A statement trigger adds every inserted
-- order to the total, so total = sum(btc_amount) always holds and the CHECK refuses crossing the limit.
CREATE TABLE btc_total (
    singleton  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    total      NUMERIC(16, 8) NOT NULL DEFAULT 0 CHECK (total >= 0),
    limit_btc  NUMERIC(16, 8) NOT NULL CHECK (limit_btc > 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT btc_total_within_limit CHECK (total <= limit_btc)
);

INSERT INTO btc_total (total, limit_btc) VALUES (0, 100);

CREATE FUNCTION btc_total_add_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE btc_total
       SET total = total + (SELECT coalesce(sum(btc_amount), 0) FROM inserted_orders),
           updated_at = now();
    RETURN NULL;
END;
$$;

CREATE TRIGGER buy_order_adds_to_total
    AFTER INSERT ON buy_order
    REFERENCING NEW TABLE AS inserted_orders
    FOR EACH STATEMENT EXECUTE FUNCTION btc_total_add_orders();
