// What a transaction needs from the transaction layer that owns it (implemented by transaction_layer.cpp).
// Kept as an interface so client_transaction.cpp and server_transaction.cpp depend on these few operations
// rather than on the layer's tables.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "common/metrics.hpp"
#include "sip/message.hpp"
#include "sip/sip_timers.hpp"
#include "sip/transaction_user.hpp"
#include "sip/transport.hpp"

namespace va::sip {

class ClientTransaction;
class ServerTransaction;

struct TransactionMetrics {
  metrics::Counter* request_retransmissions = nullptr;  // Timers A and E
  metrics::Counter* response_retransmissions =
      nullptr;                                  // Timer G, 2xx retransmission, absorbed retransmissions
  metrics::Counter* client_timeouts = nullptr;  // Timers B and F (synthetic 408)
  metrics::Counter* client_transport_errors = nullptr;  // synthetic 503
  metrics::Counter* server_failures = nullptr;          // Timer H, Timer L without ACK, transport errors
  metrics::Gauge* client_transactions = nullptr;
  metrics::Gauge* server_transactions = nullptr;
};

class TransactionContext {
 public:
  virtual ~TransactionContext() = default;

  virtual const boost::asio::any_io_executor& strand() const = 0;
  virtual const TimerSettings& timers() const = 0;
  virtual TransportLayer& transport() = 0;
  // nullptr once the layer is stopping: transactions then call nobody.
  virtual TransactionUser* user() = 0;
  virtual TransactionMetrics& transaction_metrics() = 0;

  // Adds a client transaction to the table and starts it (used for the CANCEL of an INVITE).
  virtual void add_client(const std::shared_ptr<ClientTransaction>& transaction) = 0;
  virtual void client_terminated(const ClientTransaction& transaction) = 0;
  virtual void server_terminated(const ServerTransaction& transaction) = 0;
  // The INVITE server transaction sent a 2xx: index it under the ACK key of that 2xx.
  virtual void server_accepted(const std::shared_ptr<ServerTransaction>& transaction,
                               const std::string& ack_key) = 0;
  // Sends a request outside any transaction (the ACK of a 2xx after its INVITE transaction ended).
  virtual void send_stateless_request(Message request, SendOptions options) = 0;
};

}  // namespace va::sip
