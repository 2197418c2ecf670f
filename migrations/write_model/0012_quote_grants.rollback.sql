REVOKE ALL ON quote FROM buyorders_order_writer, buyorders_write_model_reader;
