// Server transactions (RFC 3261 §17.2): the INVITE state machine (§17.2.1, with the Accepted state of
// RFC 6026) and the non-INVITE one (§17.2.2). Retransmitted requests are absorbed and answered with the last
// response; final INVITE responses are retransmitted over UDP (Timer G) until the ACK arrives or Timer H
// fires. A 2xx to an INVITE is retransmitted over UDP by the transaction while it is Accepted, until the
// ACK of that 2xx arrives or Timer L fires (the UAS core's duty of §13.3.1.4, done here so the dialog layer
// does not need a timer of its own).
//
// 100 Trying: sent at once when an INVITE transaction is created (§17.2.1 allows waiting 200 ms for the TU).
// Immediately, because the TU of a voice agent may take longer than 200 ms to answer (routing, media and
// room set-up), because the 100 stops the caller's Timer A retransmissions at once, and because a delayed
// 100 would need one more timer per INVITE; the cost is one small datagram per call.
//
// Everything runs on the SIP core strand.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "sip/message.hpp"
#include "sip/sip_timers.hpp"
#include "sip/transaction_context.hpp"
#include "sip/transaction_user.hpp"
#include "sip/transport.hpp"
#include "sip/via.hpp"

namespace va::sip {

class ServerTransaction : public std::enable_shared_from_this<ServerTransaction> {
 public:
  enum class State : std::uint8_t { trying, proceeding, completed, confirmed, accepted, terminated };

  // `request` must have a top Via (stamped by the transport).
  ServerTransaction(std::shared_ptr<TransactionContext> context, std::string key,
                    std::shared_ptr<const IncomingMessage> request, Via top_via);

  const std::string& key() const { return key_; }
  bool is_invite() const { return invite_; }
  State state() const { return state_; }
  const Message& request() const { return request_->message; }
  const IncomingMessage& incoming() const { return *request_; }
  ServerTransactionHandle handle();

  // Index keys kept by the layer, removed with the transaction.
  std::optional<std::string> merged_key;
  std::optional<std::string> ack_key;

  // INVITE: Proceeding and 100 Trying; non-INVITE: Trying.
  void start();
  // The same request again (UDP retransmission).
  void on_retransmission();
  // An ACK matching this INVITE transaction by §17.2.3 (the ACK of a 3xx-6xx, or a 2xx ACK from a peer that
  // reused the INVITE branch).
  void on_ack(const IncomingMessage& ack);
  // The ACK of our 2xx, matched by ack_key: stop retransmitting the 2xx.
  void on_2xx_acknowledged();
  void respond(Message response);
  void respond(int status, std::string_view reason);
  void abandon();

 private:
  void send(const SharedBytes& bytes);
  void retransmit_final();
  void retransmit_2xx();
  void unanswered();
  void timer_h();
  void timer_l();
  void fail(ServerTransactionFailure failure);
  void finish_after(Milliseconds delay);
  void terminate();

  std::shared_ptr<TransactionContext> context_;
  std::string key_;
  std::shared_ptr<const IncomingMessage> request_;
  Via via_;
  bool invite_;
  State state_ = State::trying;
  bool reliable_;
  bool removed_ = false;
  bool acknowledged_ = false;  // the ACK of the 2xx arrived
  std::string to_tag_;         // of the responses sent so far, reused by respond(status)
  SharedBytes last_response_;
  Milliseconds retransmit_interval_{0};
  TransactionTimer retransmit_timer_;  // G, or the 2xx retransmission
  TransactionTimer lifetime_timer_;    // H, I, J, L, and the unanswered non-INVITE guard (64*T1)
};

}  // namespace va::sip
