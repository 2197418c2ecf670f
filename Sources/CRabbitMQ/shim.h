#include <amqp.h>
#include <amqp_tcp_socket.h>

/// amqp_login_with_properties is variadic, which Swift cannot call: this is its PLAIN (user, password) form.
static inline amqp_rpc_reply_t crabbitmq_login_plain(amqp_connection_state_t state, char const *vhost,
                                                     int channel_max, int frame_max, int heartbeat,
                                                     amqp_table_t const *properties, char const *user,
                                                     char const *password) {
    return amqp_login_with_properties(state, vhost, channel_max, frame_max, heartbeat, properties,
                                      AMQP_SASL_METHOD_PLAIN, user, password);
}
