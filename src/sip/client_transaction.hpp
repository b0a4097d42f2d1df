// Client transactions (RFC 3261 §17.1): the INVITE state machine (§17.1.1, with the Accepted state of
// RFC 6026) and the non-INVITE one (§17.1.2), over any transport. Retransmissions (Timers A and E) run only
// over UDP; Timers B and F end an unanswered transaction with a synthetic 408; a transport failure ends it
// with a synthetic 503 (§17.1.4). The ACK of a 3xx-6xx is built and sent here (§17.1.1.3); the ACK of a 2xx
// is the TU's (§13.2.2.4) and is re-sent here on 2xx retransmissions while the transaction is Accepted.
// A CANCEL (§9.1) is a client transaction of its own with the INVITE's branch.
//
// Everything runs on the SIP core strand.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "sip/message.hpp"
#include "sip/sip_timers.hpp"
#include "sip/transaction_context.hpp"
#include "sip/transaction_user.hpp"
#include "sip/transport.hpp"
#include "sip/via.hpp"

namespace va::sip {

class ClientTransaction : public std::enable_shared_from_this<ClientTransaction> {
 public:
  enum class State : std::uint8_t { idle, calling, trying, proceeding, accepted, completed, terminated };

  // A new request from the TU, without our Via (it is added when the destination is known).
  ClientTransaction(std::shared_ptr<TransactionContext> context, Message request, ResponseHandler on_response,
                    SendOptions options);
  // The CANCEL of `invite` (§9.1): its Request-URI, Call-ID, From, To, CSeq number, Route and top Via, sent
  // to the same destination.
  static std::shared_ptr<ClientTransaction> make_cancel(const ClientTransaction& invite,
                                                        ResponseHandler on_response);

  const std::string& key() const { return key_; }
  bool is_invite() const { return invite_; }
  State state() const { return state_; }
  const Message& request() const { return request_; }

  void start();
  void on_response(IncomingMessage&& response);
  void cancel(ResponseHandler on_response);
  void send_ack(Message ack, SendOptions options);
  // Shutdown: stop timers; no further callbacks.
  void abandon();

 private:
  ClientTransaction(std::shared_ptr<TransactionContext> context, Message request, ResponseHandler on_response,
                    std::string branch, Destination destination, Via via);

  void destination_resolved(std::error_code ec, Destination destination, bool transport_explicit);
  bool build_and_stamp(const Destination& destination);
  void begin();
  void transmit();
  void retransmit();
  void timed_out();
  void transport_failed(std::error_code ec);
  void fall_back_to_udp();
  void deliver(const ClientResponse& response);
  void deliver_synthetic(int status, ResponseSource source);
  void send_non_2xx_ack(const Message& response);
  void send_cancel();
  void finish_after(Milliseconds delay);
  void terminate();
  SendErrorHandler error_handler();

  std::shared_ptr<TransactionContext> context_;
  Message request_;
  ResponseHandler on_response_;
  SendOptions options_;
  std::string branch_;
  std::string key_;
  bool invite_;
  State state_ = State::idle;

  Destination destination_;
  bool reliable_ = false;
  bool prebuilt_ = false;         // CANCEL: Via and destination given
  bool switched_to_tcp_ = false;  // §18.1.1 size rule applied; may fall back to UDP
  bool response_received_ = false;
  bool stamped_ = false;  // our Via is in request_
  bool removed_ = false;  // client_terminated() was called (or the layer is stopping)
  Via via_;
  SharedBytes request_bytes_;
  SharedBytes ack_bytes_;  // the ACK of a 3xx-6xx, re-sent on retransmitted final responses
  Milliseconds retransmit_interval_{0};
  TransactionTimer retransmit_timer_;  // A or E
  TransactionTimer lifetime_timer_;    // B, D, F, K, M, or the 64*T1 wait after CANCEL

  bool cancel_requested_ = false;
  bool cancel_sent_ = false;
  ResponseHandler cancel_handler_;

  struct Ack2xx {
    std::string to_tag;
    SharedBytes bytes;
    Destination destination;
  };
  std::vector<Ack2xx> acks_;  // one per dialog the INVITE created (forking)
};

}  // namespace va::sip
