#include "sip/server_transaction.hpp"

#include <boost/asio/post.hpp>

#include "common/log.hpp"
#include "sip/identifiers.hpp"
#include "sip/response.hpp"
#include "sip/status_code.hpp"
#include "sip/transaction_key.hpp"

namespace va::sip {

ServerTransaction::ServerTransaction(std::shared_ptr<TransactionContext> context, std::string key,
                                     std::shared_ptr<const IncomingMessage> request, Via top_via)
    : context_(std::move(context)),
      key_(std::move(key)),
      request_(std::move(request)),
      via_(std::move(top_via)),
      invite_(request_->message.method() == Method::invite),
      reliable_(is_reliable(request_->flow.transport)),
      retransmit_timer_(context_->strand()),
      lifetime_timer_(context_->strand()) {}

ServerTransactionHandle ServerTransaction::handle() {
  return ServerTransactionHandle(weak_from_this(), request_, context_->strand());
}

void ServerTransaction::start() {
  if (!invite_) {
    state_ = State::trying;
    // A TU that never answers must not leak the transaction. The client gives up after Timer F (64*T1), so
    // an answer after that reaches nobody: end the transaction then. (INVITE has no such bound: a call may
    // ring for minutes; the TU's own no-answer timer ends it with a final response.)
    lifetime_timer_.start(context_->timers().timer_f(), [self = shared_from_this()] { self->unanswered(); });
    return;
  }
  state_ = State::proceeding;
  respond(make_response(request_->message, 100));
}

void ServerTransaction::send(const SharedBytes& bytes) {
  context_->transport().send_response(
      bytes, request_->flow, via_, [weak = weak_from_this()](std::error_code ec) {
        auto self = weak.lock();
        if (!self || self->state_ == State::terminated) return;
        log::debug("SIP response could not be sent", {{"error", ec.message()}});
        self->fail(ServerTransactionFailure::transport_error);
      });
}

void ServerTransaction::respond(int status, std::string_view reason) {
  std::string tag = status == 100 ? std::string() : (to_tag_.empty() ? generate_tag() : to_tag_);
  respond(make_response(request_->message, status, reason, tag));
}

void ServerTransaction::respond(Message response) {
  if (state_ == State::terminated || !response.is_response()) return;
  const int status = response.status();
  if (to_tag_.empty()) {
    if (auto to = response.to(); to && to->tag()) to_tag_ = std::string(*to->tag());
  }
  const TimerSettings& timers = context_->timers();
  auto bytes = std::make_shared<const std::string>(response.to_string());

  if (invite_) {
    switch (state_) {
      case State::proceeding:
        last_response_ = bytes;
        send(bytes);
        if (is_provisional(status)) return;
        if (is_success(status)) {
          // RFC 6026 §7.1: Accepted, absorbing INVITE retransmissions for Timer L; the 2xx is retransmitted
          // here until its ACK arrives (§13.3.1.4).
          state_ = State::accepted;
          if (auto key = ack_key_of_response(response)) context_->server_accepted(shared_from_this(), *key);
          if (!reliable_) {
            retransmit_interval_ = timers.t1;
            retransmit_timer_.start(retransmit_interval_,
                                    [self = shared_from_this()] { self->retransmit_2xx(); });
          }
          lifetime_timer_.start(timers.timer_l(), [self = shared_from_this()] { self->timer_l(); });
          return;
        }
        state_ = State::completed;
        if (!reliable_) {
          retransmit_interval_ = timers.timer_g_initial();
          retransmit_timer_.start(retransmit_interval_,
                                  [self = shared_from_this()] { self->retransmit_final(); });
        }
        lifetime_timer_.start(timers.timer_h(), [self = shared_from_this()] { self->timer_h(); });
        return;
      case State::accepted:
        // RFC 6026 §8.7: further 2xx from the TU (retransmissions, or another 2xx) go to the transport.
        if (!is_success(status)) return;
        last_response_ = bytes;
        send(bytes);
        return;
      default:
        return;
    }
  }

  switch (state_) {
    case State::trying:
    case State::proceeding:
      last_response_ = bytes;
      send(bytes);
      if (is_provisional(status)) {
        state_ = State::proceeding;
        return;
      }
      state_ = State::completed;
      finish_after(timers.timer_j_for(reliable_));
      return;
    default:
      return;
  }
}

void ServerTransaction::on_retransmission() {
  switch (state_) {
    case State::proceeding:
    case State::completed:
      // §17.2.1/§17.2.2: answer a retransmitted request with the most recent response.
      if (last_response_) {
        context_->transaction_metrics().response_retransmissions->inc();
        send(last_response_);
      }
      return;
    default:
      return;  // Trying, Confirmed, Accepted: absorbed
  }
}

void ServerTransaction::on_ack(const IncomingMessage& ack) {
  if (!invite_) return;
  if (state_ == State::completed) {
    // §17.2.1: Confirmed, absorbing ACK retransmissions for Timer I.
    state_ = State::confirmed;
    retransmit_timer_.cancel();
    lifetime_timer_.cancel();
    finish_after(context_->timers().timer_i_for(reliable_));
    return;
  }
  if (state_ == State::accepted) {
    // A 2xx ACK with the INVITE's branch (seen from some RFC 2543-era peers): it still belongs to the TU.
    on_2xx_acknowledged();
    if (auto* user = context_->user()) user->on_stray_request(ack);
  }
}

void ServerTransaction::on_2xx_acknowledged() {
  acknowledged_ = true;
  retransmit_timer_.cancel();
}

void ServerTransaction::retransmit_final() {
  if (state_ != State::completed) return;
  context_->transaction_metrics().response_retransmissions->inc();
  send(last_response_);
  retransmit_interval_ = context_->timers().doubled_capped(retransmit_interval_);
  retransmit_timer_.start(retransmit_interval_, [self = shared_from_this()] { self->retransmit_final(); });
}

void ServerTransaction::retransmit_2xx() {
  if (state_ != State::accepted || acknowledged_) return;
  context_->transaction_metrics().response_retransmissions->inc();
  send(last_response_);
  retransmit_interval_ = context_->timers().doubled_capped(retransmit_interval_);
  retransmit_timer_.start(retransmit_interval_, [self = shared_from_this()] { self->retransmit_2xx(); });
}

void ServerTransaction::unanswered() {
  if (state_ != State::trying && state_ != State::proceeding) return;
  log::warn("SIP request left unanswered by the TU",
            {{"method", std::string(request_->message.method_name())}});
  context_->transaction_metrics().server_failures->inc();
  terminate();
}

void ServerTransaction::timer_h() {
  if (state_ != State::completed) return;
  fail(ServerTransactionFailure::no_ack);
}

void ServerTransaction::timer_l() {
  if (state_ != State::accepted) return;
  if (!acknowledged_) return fail(ServerTransactionFailure::no_ack_for_2xx);
  terminate();
}

void ServerTransaction::fail(ServerTransactionFailure failure) {
  context_->transaction_metrics().server_failures->inc();
  auto handle = this->handle();
  terminate();
  if (auto* user = context_->user()) user->on_server_transaction_failed(handle, failure);
}

void ServerTransaction::finish_after(Milliseconds delay) {
  if (delay.count() == 0) return terminate();
  lifetime_timer_.start(delay, [self = shared_from_this()] { self->terminate(); });
}

void ServerTransaction::terminate() {
  state_ = State::terminated;
  retransmit_timer_.cancel();
  lifetime_timer_.cancel();
  if (removed_) return;
  removed_ = true;
  context_->server_terminated(*this);
}

void ServerTransaction::abandon() {
  state_ = State::terminated;
  removed_ = true;
  retransmit_timer_.cancel();
  lifetime_timer_.cancel();
}

// ---- handle

ServerTransactionHandle::ServerTransactionHandle(std::weak_ptr<ServerTransaction> transaction,
                                                 std::shared_ptr<const IncomingMessage> request,
                                                 boost::asio::any_io_executor strand)
    : transaction_(std::move(transaction)), request_(std::move(request)), strand_(std::move(strand)) {}

void ServerTransactionHandle::respond(Message response) const {
  if (!strand_) return;
  // Posted, never run inline: a TU answering from inside on_request must not re-enter the layer while it is
  // still dispatching that request.
  boost::asio::post(strand_, [weak = transaction_, response = std::move(response)]() mutable {
    if (auto transaction = weak.lock()) transaction->respond(std::move(response));
  });
}

void ServerTransactionHandle::respond(int status, std::string_view reason) const {
  if (!strand_) return;
  boost::asio::post(strand_, [weak = transaction_, status, reason = std::string(reason)] {
    if (auto transaction = weak.lock()) transaction->respond(status, reason);
  });
}

std::string_view to_string(ServerTransactionFailure failure) {
  switch (failure) {
    case ServerTransactionFailure::no_ack:
      return "no_ack";
    case ServerTransactionFailure::no_ack_for_2xx:
      return "no_ack_for_2xx";
    case ServerTransactionFailure::transport_error:
      return "transport_error";
  }
  return "unknown";
}

}  // namespace va::sip
