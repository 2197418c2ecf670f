DROP TABLE buy_order;
DROP FUNCTION buy_order_refuse_change();
