// The interface between the transaction layer and its user, the TU (RFC 3261 §17): the dialog layer / user
// agent core. What the TU gets:
//   - on_request: a new request with a ServerTransactionHandle to answer it through (any thread);
//   - on_cancel: a CANCEL that matched an INVITE still waiting for its final response (§9.2);
//   - on_stray_request: an ACK that matched no transaction, i.e. the ACK of a 2xx (§17.2.3 / §13.3.1.4);
//   - on_stray_response: a response that matched no client transaction (a 2xx retransmission or a forked
//     2xx that arrived after the INVITE transaction ended: the UAC core must ACK it, §13.2.2.4);
//   - on_server_transaction_failed: no ACK came (Timer H / Timer L) or the response could not be sent.
// Responses to a client transaction go to the ResponseHandler given to TransactionLayer::send_request;
// Timer B/F arrive there as a synthetic 408 and transport failures as a synthetic 503 (ResponseSource says
// which).
//
// What the layer does for the TU, beyond RFC 3261's split (so the dialog layer has fewer timers):
//   - the INVITE server transaction retransmits a 2xx over UDP until its ACK arrives (§13.3.1.4, normally
//     the UAS core's job) and reports no_ack_for_2xx when Timer L ends without one;
//   - the INVITE client transaction stays Accepted for Timer M (RFC 6026): a 2xx retransmission is answered
//     with the ACK the TU gave to send_ack(), and a 2xx for a dialog without an ACK yet (a fork, or a
//     retransmission that crossed the ACK) is passed up again — the response handler can see several 2xx.
// What the TU must do: answer every request it gets (a non-INVITE left unanswered is dropped after 64*T1,
// when the client has given up; an INVITE lives until its final response), tag its responses (respond(int)
// does), ACK every 2xx, and never block in a callback.
//
// Every callback runs on the SIP core strand and must return quickly: a TU posts real work (SDP, media,
// the call's state machine) to the call's own strand. Handles may be used from any thread; they refer to
// the io_context's strand, so release them before the io_context is destroyed.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "sip/flow.hpp"
#include "sip/message.hpp"
#include "sip/transport.hpp"
#include "sip/uri.hpp"

namespace va::sip {

class ClientTransaction;
class ServerTransaction;
class TransactionContext;

enum class ResponseSource : std::uint8_t {
  network,          // received from the peer
  timeout,          // Timer B or F fired (or the 64*T1 wait after CANCEL, §9.1): synthetic 408
  transport_error,  // the request could not be sent (§17.1.4, RFC 3263 §4.3 style): synthetic 503
};

struct ClientResponse {
  Message message;
  ResponseSource source = ResponseSource::network;
  Flow flow;  // the flow the response arrived on (network responses)
};

using ResponseHandler = std::function<void(const ClientResponse& response)>;

struct SendOptions {
  // Send towards this URI instead of the first loose Route or the Request-URI (e.g. an outbound proxy).
  std::optional<Uri> next_hop;
  // Send over this flow while it is open (e.g. in-dialog requests to a peer that reached us over TCP).
  std::optional<Flow> flow;
};

enum class ServerTransactionFailure : std::uint8_t {
  no_ack,           // INVITE: Timer H fired in Completed (no ACK for a 3xx-6xx), §17.2.1
  no_ack_for_2xx,   // INVITE: Timer L fired before the ACK of the 2xx arrived (§13.3.1.4: end the session)
  transport_error,  // a response could not be sent (§17.2.4)
};
std::string_view to_string(ServerTransactionFailure failure);

// A reference to a server transaction. Copyable, cheap, usable from any thread; operations run on the SIP
// core strand. When the transaction has ended, operations do nothing.
class ServerTransactionHandle {
 public:
  ServerTransactionHandle() = default;
  ServerTransactionHandle(std::weak_ptr<ServerTransaction> transaction,
                          std::shared_ptr<const IncomingMessage> request,
                          boost::asio::any_io_executor strand);

  // Sends `response` through the transaction. 1xx may be sent several times; the first final response
  // completes the transaction; for INVITE, 2xx may be repeated while the transaction is Accepted.
  void respond(Message response) const;
  // Builds the response from the request (sip::make_response) with the To tag of this transaction's earlier
  // tagged responses, or a new tag (not for 100), and sends it.
  void respond(int status, std::string_view reason = {}) const;

  bool valid() const { return request_ != nullptr; }
  const Message& request() const { return request_->message; }
  const Flow& flow() const { return request_->flow; }

 private:
  std::weak_ptr<ServerTransaction> transaction_;
  std::shared_ptr<const IncomingMessage> request_;
  boost::asio::any_io_executor strand_;
};

// A reference to a client transaction; usable from any thread.
class ClientTransactionHandle {
 public:
  ClientTransactionHandle() = default;
  ClientTransactionHandle(std::weak_ptr<ClientTransaction> transaction,
                          std::weak_ptr<TransactionContext> context, boost::asio::any_io_executor strand);

  // §9.1: CANCEL an INVITE. Sent as soon as a provisional response has arrived (never before); nothing is
  // sent once a final response arrived. `on_response` receives the responses to the CANCEL itself.
  void cancel(ResponseHandler on_response = {}) const;
  // Sends the ACK of a 2xx (built by the TU, §13.2.2.4) with a new branch towards its own next hop, and
  // re-sends it whenever that 2xx is retransmitted while the transaction is Accepted (RFC 6026). After the
  // transaction ended the ACK is sent statelessly.
  void send_ack(Message ack, SendOptions options = {}) const;

  bool valid() const { return !transaction_.expired(); }

 private:
  std::weak_ptr<ClientTransaction> transaction_;
  std::weak_ptr<TransactionContext> context_;
  boost::asio::any_io_executor strand_;
};

class TransactionUser {
 public:
  virtual ~TransactionUser() = default;

  virtual void on_request(const ServerTransactionHandle& transaction, const IncomingMessage& request) = 0;
  // The default answers 200 to the CANCEL and 487 Request Terminated to the INVITE (§9.2).
  virtual void on_cancel(const ServerTransactionHandle& cancel, const ServerTransactionHandle& invite,
                         const IncomingMessage& request);
  virtual void on_stray_request(const IncomingMessage& request) { (void)request; }
  virtual void on_stray_response(const IncomingMessage& response) { (void)response; }
  virtual void on_server_transaction_failed(const ServerTransactionHandle& transaction,
                                            ServerTransactionFailure failure) {
    (void)transaction;
    (void)failure;
  }
};

}  // namespace va::sip
