#include "sip/client_transaction.hpp"

#include "common/log.hpp"
#include "sip/identifiers.hpp"
#include "sip/outbound_request.hpp"
#include "sip/response.hpp"
#include "sip/status_code.hpp"
#include "sip/transaction_key.hpp"

namespace va::sip {

namespace {

std::string to_tag_of(const Message& m) {
  auto to = m.to();
  if (!to) return {};
  auto tag = to->tag();
  return tag ? std::string(*tag) : std::string();
}

// Route headers of the request, in order, as the ACK and the CANCEL must carry them (§17.1.1.3, §9.1).
void copy_routes(const Message& from, Message& to) {
  for (const auto& h : from.headers())
    if (h.id == HeaderId::route) to.add_header(h);
}

void copy_header(const Message& from, Message& to, HeaderId id) {
  if (const Header* h = from.find(id)) to.add_header(*h);
}

}  // namespace

ClientTransaction::ClientTransaction(std::shared_ptr<TransactionContext> context, Message request,
                                     ResponseHandler on_response, SendOptions options)
    : context_(std::move(context)),
      request_(std::move(request)),
      on_response_(std::move(on_response)),
      options_(std::move(options)),
      branch_(generate_branch()),
      key_(client_key(branch_, request_.method_name())),
      invite_(request_.method() == Method::invite),
      retransmit_timer_(context_->strand()),
      lifetime_timer_(context_->strand()) {}

ClientTransaction::ClientTransaction(std::shared_ptr<TransactionContext> context, Message request,
                                     ResponseHandler on_response, std::string branch, Destination destination,
                                     Via via)
    : context_(std::move(context)),
      request_(std::move(request)),
      on_response_(std::move(on_response)),
      branch_(std::move(branch)),
      key_(client_key(branch_, request_.method_name())),
      invite_(false),
      destination_(std::move(destination)),
      prebuilt_(true),
      via_(std::move(via)),
      retransmit_timer_(context_->strand()),
      lifetime_timer_(context_->strand()) {}

std::shared_ptr<ClientTransaction> ClientTransaction::make_cancel(const ClientTransaction& invite,
                                                                  ResponseHandler on_response) {
  const Message& original = invite.request_;
  Message cancel = Message::request("CANCEL", original.request_uri());
  cancel.add_header("Via", invite.via_.to_string());
  copy_header(original, cancel, HeaderId::max_forwards);
  copy_routes(original, cancel);
  copy_header(original, cancel, HeaderId::from);
  copy_header(original, cancel, HeaderId::to);
  copy_header(original, cancel, HeaderId::call_id);
  if (auto cseq = original.cseq()) cancel.add_header("CSeq", std::to_string(cseq->number) + " CANCEL");
  return std::shared_ptr<ClientTransaction>(new ClientTransaction(invite.context_, std::move(cancel),
                                                                  std::move(on_response), invite.branch_,
                                                                  invite.destination_, invite.via_));
}

// ---- sending

void ClientTransaction::start() {
  state_ = invite_ ? State::calling : State::trying;
  if (prebuilt_) {
    reliable_ = is_reliable(destination_.transport);
    request_bytes_ = std::make_shared<const std::string>(request_.to_string());
    return begin();
  }
  resolve_request_destination(context_->transport(), request_, options_,
                              [self = shared_from_this()](std::error_code ec, RequestDestination d) {
                                self->destination_resolved(ec, std::move(d.destination),
                                                           d.transport_explicit);
                              });
}

void ClientTransaction::destination_resolved(std::error_code ec, Destination destination,
                                             bool transport_explicit) {
  if (state_ == State::terminated) return;
  if (ec) {
    log::debug("SIP request destination unresolved",
               {{"uri", request_.request_uri().to_string()}, {"error", ec.message()}});
    return deliver_synthetic(503, ResponseSource::transport_error);
  }
  if (!build_and_stamp(destination)) return deliver_synthetic(503, ResponseSource::transport_error);
  // §18.1.1: a large request goes over TCP instead of UDP (opt-in, see TransportOptions).
  if (context_->transport().prefers_tcp(request_bytes_->size(), destination, transport_explicit)) {
    Destination tcp = destination;
    tcp.transport = TransportKind::tcp;
    tcp.flow.reset();
    switched_to_tcp_ = build_and_stamp(tcp);  // prefers_tcp checked that a TCP listener exists
  }
  begin();
}

// Writes our Via for `destination` into the request (replacing the one written for an earlier choice of
// transport, see fall_back_to_udp) and serializes it once; retransmissions reuse these bytes.
bool ClientTransaction::build_and_stamp(const Destination& destination) {
  auto via = make_via(context_->transport(), destination, branch_);
  if (!via) return false;
  if (stamped_) {
    auto& headers = request_.mutable_headers();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
      if (it->id == HeaderId::via) {
        headers.erase(it);
        break;
      }
    }
  }
  stamp_request(request_, *via);
  stamped_ = true;
  via_ = std::move(*via);
  destination_ = destination;
  reliable_ = is_reliable(destination.transport);
  request_bytes_ = std::make_shared<const std::string>(request_.to_string());
  return true;
}

void ClientTransaction::begin() {
  const TimerSettings& timers = context_->timers();
  transmit();
  if (state_ == State::terminated) return;
  if (!reliable_) {
    retransmit_interval_ = invite_ ? timers.timer_a_initial() : timers.timer_e_initial();
    retransmit_timer_.start(retransmit_interval_, [self = shared_from_this()] { self->retransmit(); });
  }
  lifetime_timer_.start(invite_ ? timers.timer_b() : timers.timer_f(),
                        [self = shared_from_this()] { self->timed_out(); });
}

SendErrorHandler ClientTransaction::error_handler() {
  return [weak = weak_from_this()](std::error_code ec) {
    if (auto self = weak.lock()) self->transport_failed(ec);
  };
}

void ClientTransaction::transmit() {
  context_->transport().send_request(request_bytes_, destination_, error_handler());
}

void ClientTransaction::retransmit() {
  bool waiting =
      state_ == State::calling || state_ == State::trying || (!invite_ && state_ == State::proceeding);
  if (!waiting) return;
  context_->transaction_metrics().request_retransmissions->inc();
  transmit();
  const TimerSettings& timers = context_->timers();
  if (invite_) {
    retransmit_interval_ = 2 * retransmit_interval_;  // Timer A doubles with no cap; Timer B ends it
  } else if (state_ == State::proceeding) {
    retransmit_interval_ = timers.t2;  // §17.1.2.2
  } else {
    retransmit_interval_ = timers.doubled_capped(retransmit_interval_);
  }
  retransmit_timer_.start(retransmit_interval_, [self = shared_from_this()] { self->retransmit(); });
}

void ClientTransaction::timed_out() {
  if (state_ == State::calling || state_ == State::trying || (!invite_ && state_ == State::proceeding)) {
    context_->transaction_metrics().client_timeouts->inc();
    return deliver_synthetic(408, ResponseSource::timeout);
  }
  if (invite_ && state_ == State::proceeding && cancel_sent_) {
    // §9.1: no final response 64*T1 after the CANCEL: consider the INVITE cancelled.
    context_->transaction_metrics().client_timeouts->inc();
    return deliver_synthetic(408, ResponseSource::timeout);
  }
  terminate();  // D, K, M
}

void ClientTransaction::transport_failed(std::error_code ec) {
  bool waiting =
      state_ == State::calling || state_ == State::trying || (!invite_ && state_ == State::proceeding);
  if (!waiting) return;  // a failed ACK or retransmission after the answer changes nothing
  if (switched_to_tcp_ && !response_received_) return fall_back_to_udp();
  log::debug("SIP request could not be sent", {{"method", std::string(request_.method_name())},
                                               {"destination", destination_.remote.to_string()},
                                               {"error", ec.message()}});
  context_->transaction_metrics().client_transport_errors->inc();
  deliver_synthetic(503, ResponseSource::transport_error);
}

void ClientTransaction::fall_back_to_udp() {
  // §18.1.1: the TCP attempt made only because of the size failed; retry over UDP.
  switched_to_tcp_ = false;
  Destination udp = destination_;
  udp.transport = TransportKind::udp;
  udp.flow.reset();
  if (!build_and_stamp(udp)) return deliver_synthetic(503, ResponseSource::transport_error);
  retransmit_timer_.cancel();
  transmit();
  retransmit_interval_ =
      invite_ ? context_->timers().timer_a_initial() : context_->timers().timer_e_initial();
  retransmit_timer_.start(retransmit_interval_, [self = shared_from_this()] { self->retransmit(); });
}

// ---- responses

void ClientTransaction::deliver(const ClientResponse& response) {
  if (context_->user() == nullptr) return;  // stopping
  if (on_response_) on_response_(response);
}

void ClientTransaction::deliver_synthetic(int status, ResponseSource source) {
  ClientResponse response{make_response(request_, status), source,
                          Flow{destination_.transport, destination_.remote, {}, 0}};
  state_ = State::terminated;  // before the callback: the TU may cancel or send from inside it
  deliver(response);
  terminate();
}

void ClientTransaction::on_response(IncomingMessage&& incoming) {
  const int status = incoming.message.status();
  response_received_ = true;
  auto pass_up = [&] {
    deliver(ClientResponse{std::move(incoming.message), ResponseSource::network, incoming.flow});
  };
  const TimerSettings& timers = context_->timers();

  if (invite_) {
    switch (state_) {
      case State::calling:
      case State::proceeding:
        if (is_provisional(status)) {
          if (state_ == State::calling) {
            state_ = State::proceeding;
            retransmit_timer_.cancel();
            lifetime_timer_.cancel();  // Timer B runs only in Calling
          }
          pass_up();
          if (cancel_requested_ && !cancel_sent_ && state_ == State::proceeding) send_cancel();
        } else if (is_success(status)) {
          // RFC 6026 §8.4: Accepted, so retransmitted and forked 2xx still reach the TU (or our stored ACK).
          state_ = State::accepted;
          retransmit_timer_.cancel();
          lifetime_timer_.start(timers.timer_m(), [self = shared_from_this()] { self->timed_out(); });
          pass_up();
        } else {
          state_ = State::completed;
          retransmit_timer_.cancel();
          lifetime_timer_.cancel();
          send_non_2xx_ack(incoming.message);
          pass_up();
          finish_after(timers.timer_d_for(reliable_));
        }
        return;
      case State::accepted:
        if (!is_success(status)) return;
        for (const auto& ack : acks_) {
          if (ack.to_tag == to_tag_of(incoming.message)) {
            context_->transport().send_request(ack.bytes, ack.destination, {});
            return;
          }
        }
        // A 2xx the TU has not ACKed yet: another fork's dialog, or a retransmission that crossed the ACK.
        pass_up();
        return;
      case State::completed:
        // A retransmitted final response: our ACK was lost (§17.1.1.2).
        if (is_final(status) && ack_bytes_) context_->transport().send_request(ack_bytes_, destination_, {});
        return;
      default:
        return;
    }
  }

  switch (state_) {
    case State::trying:
    case State::proceeding:
      if (is_provisional(status)) {
        state_ = State::proceeding;
        pass_up();
      } else {
        state_ = State::completed;
        retransmit_timer_.cancel();
        lifetime_timer_.cancel();
        pass_up();
        finish_after(timers.timer_k_for(reliable_));
      }
      return;
    default:
      return;  // Completed absorbs retransmitted responses (Timer K)
  }
}

void ClientTransaction::send_non_2xx_ack(const Message& response) {
  // §17.1.1.3: same Request-URI, Call-ID, From, CSeq number and top Via (same branch) as the INVITE, the To
  // of the response (with its tag), the INVITE's Route set, sent where the INVITE went.
  Message ack = Message::request("ACK", request_.request_uri());
  ack.add_header("Via", via_.to_string());
  ack.add_header("Max-Forwards", "70");
  copy_routes(request_, ack);
  copy_header(request_, ack, HeaderId::from);
  copy_header(response, ack, HeaderId::to);
  copy_header(request_, ack, HeaderId::call_id);
  if (auto cseq = request_.cseq()) ack.add_header("CSeq", std::to_string(cseq->number) + " ACK");
  ack_bytes_ = std::make_shared<const std::string>(ack.to_string());
  context_->transport().send_request(ack_bytes_, destination_, {});
}

void ClientTransaction::finish_after(Milliseconds delay) {
  if (delay.count() == 0) return terminate();
  lifetime_timer_.start(delay, [self = shared_from_this()] { self->terminate(); });
}

// ---- CANCEL and ACK

void ClientTransaction::cancel(ResponseHandler on_response) {
  if (!invite_ || cancel_requested_) return;
  if (state_ != State::idle && state_ != State::calling && state_ != State::proceeding) return;
  cancel_requested_ = true;
  cancel_handler_ = std::move(on_response);
  // §9.1: "If no provisional response has been received, the CANCEL request MUST NOT be sent"; it goes out
  // with the first provisional response.
  if (state_ == State::proceeding) send_cancel();
}

void ClientTransaction::send_cancel() {
  cancel_sent_ = true;
  context_->add_client(make_cancel(*this, std::move(cancel_handler_)));
  lifetime_timer_.start(context_->timers().timer_b(), [self = shared_from_this()] { self->timed_out(); });
}

void ClientTransaction::send_ack(Message ack, SendOptions options) {
  std::string to_tag = to_tag_of(ack);
  if (state_ != State::accepted) return context_->send_stateless_request(std::move(ack), std::move(options));
  auto self = shared_from_this();
  auto message = std::make_shared<Message>(std::move(ack));
  resolve_request_destination(
      context_->transport(), *message, options,
      [self, message, to_tag = std::move(to_tag)](std::error_code ec, RequestDestination d) {
        if (ec) return;
        // §17.1.1.3: the ACK of a 2xx is a transaction of its own, with a new branch.
        auto via = make_via(self->context_->transport(), d.destination, generate_branch());
        if (!via) return;
        stamp_request(*message, *via);
        auto bytes = std::make_shared<const std::string>(message->to_string());
        self->context_->transport().send_request(bytes, d.destination, {});
        if (self->state_ == State::accepted) self->acks_.push_back(Ack2xx{to_tag, bytes, d.destination});
      });
}

// ---- end

void ClientTransaction::terminate() {
  state_ = State::terminated;
  if (removed_) return;
  removed_ = true;
  retransmit_timer_.cancel();
  lifetime_timer_.cancel();
  context_->client_terminated(*this);
}

void ClientTransaction::abandon() {
  state_ = State::terminated;
  removed_ = true;
  on_response_ = nullptr;
  cancel_handler_ = nullptr;
  retransmit_timer_.cancel();
  lifetime_timer_.cancel();
}

}  // namespace va::sip
