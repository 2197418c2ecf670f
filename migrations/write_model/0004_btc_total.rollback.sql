DROP TRIGGER buy_order_adds_to_total ON buy_order;
DROP FUNCTION btc_total_add_orders();
DROP TABLE btc_total;
