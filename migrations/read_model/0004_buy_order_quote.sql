-- depends: 0001_buy_order
-- The quote an order was made from (write_model.buy_order.quote_id), NULL for orders at the market price.
ALTER TABLE buy_order ADD COLUMN quote_id UUID;
