DROP TABLE buy_order;
