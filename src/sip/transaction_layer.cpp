#include "sip/transaction_layer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <future>
#include <unordered_map>

#include "common/log.hpp"
#include "sip/client_transaction.hpp"
#include "sip/identifiers.hpp"
#include "sip/outbound_request.hpp"
#include "sip/response.hpp"
#include "sip/server_transaction.hpp"
#include "sip/status_code.hpp"
#include "sip/transaction_context.hpp"
#include "sip/transaction_key.hpp"

namespace va::sip {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;

// The tables and the dispatch of §17.1.3 / §17.2.3. Lives on the SIP core strand.
class TransactionCore final : public TransactionContext,
                              public TransportUser,
                              public std::enable_shared_from_this<TransactionCore> {
 public:
  TransactionCore(asio::io_context& io, TransactionLayerOptions options, TransactionUser& user,
                  metrics::Registry& registry)
      : strand_(asio::make_strand(io)),
        executor_(strand_),
        options_(std::move(options)),
        user_(&user),
        dropped_(registry.counter("sip_messages_dropped_total",
                                  "SIP messages received but not passed on, by transport and reason "
                                  "(parse error code, foreign_via, connection_limit, ...)",
                                  {"transport", "reason"})) {
    auto& retransmissions =
        registry.counter("sip_retransmissions_total", "SIP retransmissions sent by transactions", {"kind"});
    metrics_.request_retransmissions = &retransmissions.with({"request"});
    metrics_.response_retransmissions = &retransmissions.with({"response"});
    metrics_.client_timeouts =
        &registry.counter("sip_transaction_timeouts_total", "Client transactions ended by Timer B/F (408)")
             .get();
    metrics_.client_transport_errors = &registry
                                            .counter("sip_transaction_transport_errors_total",
                                                     "Client transactions ended by a transport error (503)")
                                            .get();
    metrics_.server_failures = &registry
                                    .counter("sip_server_transaction_failures_total",
                                             "Server transactions ended without ACK or by a transport error")
                                    .get();
    auto& active = registry.gauge("sip_transactions", "Live SIP transactions", {"kind"});
    metrics_.client_transactions = &active.with({"client"});
    metrics_.server_transactions = &active.with({"server"});
  }

  // Created after construction: the transport keeps a reference to this object as its user. `owned` is the
  // layer's private registry when the caller gave none: kept alive as long as the counters pointing into it.
  void init(metrics::Registry& registry, std::shared_ptr<metrics::Registry> owned) {
    owned_metrics_ = std::move(owned);
    transport_ = std::make_shared<TransportLayer>(executor_, options_.transport, *this, registry);
  }

  std::optional<std::string> start() {
    if (auto problem = validate(options_.timers); !problem.empty()) return "invalid SIP timers: " + problem;
    return transport_->start();
  }

  void shutdown() {
    if (stopped_) return;
    stopped_ = true;
    user_ = nullptr;
    auto clients = std::move(clients_);
    auto servers = std::move(servers_);
    clients_.clear();
    servers_.clear();
    merged_.clear();
    accepted_acks_.clear();
    for (auto& [key, t] : clients) t->abandon();
    for (auto& [key, t] : servers) t->abandon();
    metrics_.client_transactions->set(0);
    metrics_.server_transactions->set(0);
    transport_->stop();
  }

  const Strand& concrete_strand() const { return strand_; }
  bool stopped() const { return stopped_; }

  // ---- TransactionContext

  const asio::any_io_executor& strand() const override { return executor_; }
  const TimerSettings& timers() const override { return options_.timers; }
  TransportLayer& transport() override { return *transport_; }
  TransactionUser* user() override { return user_; }
  TransactionMetrics& transaction_metrics() override { return metrics_; }

  void add_client(const std::shared_ptr<ClientTransaction>& transaction) override {
    if (stopped_) return;
    clients_[transaction->key()] = transaction;
    metrics_.client_transactions->set(static_cast<double>(clients_.size()));
    transaction->start();
  }

  void client_terminated(const ClientTransaction& transaction) override {
    auto it = clients_.find(transaction.key());
    if (it != clients_.end() && it->second.get() == &transaction) clients_.erase(it);
    metrics_.client_transactions->set(static_cast<double>(clients_.size()));
  }

  void server_terminated(const ServerTransaction& transaction) override {
    auto erase_index = [&](auto& index, const std::optional<std::string>& key) {
      if (!key) return;
      auto it = index.find(*key);
      if (it != index.end() && it->second.lock().get() == &transaction) index.erase(it);
    };
    erase_index(merged_, transaction.merged_key);
    erase_index(accepted_acks_, transaction.ack_key);
    auto it = servers_.find(transaction.key());
    if (it != servers_.end() && it->second.get() == &transaction) servers_.erase(it);
    metrics_.server_transactions->set(static_cast<double>(servers_.size()));
  }

  void server_accepted(const std::shared_ptr<ServerTransaction>& transaction,
                       const std::string& ack_key) override {
    transaction->ack_key = ack_key;
    accepted_acks_[ack_key] = transaction;
  }

  void send_stateless_request(Message request, SendOptions options) override {
    if (stopped_) return;
    auto message = std::make_shared<Message>(std::move(request));
    resolve_request_destination(
        *transport_, *message, options,
        [self = shared_from_this(), message](std::error_code ec, RequestDestination d) {
          if (ec || self->stopped_) return;
          auto via = make_via(*self->transport_, d.destination, generate_branch());
          if (!via) return;
          stamp_request(*message, *via);
          self->transport_->send_request(std::make_shared<const std::string>(message->to_string()),
                                         d.destination, {});
        });
  }

  // ---- TransportUser

  void on_message(IncomingMessage&& message) override {
    if (stopped_) return;
    if (message.message.is_request()) {
      handle_request(std::move(message));
    } else {
      handle_response(std::move(message));
    }
  }

 private:
  void drop(const Flow& flow, std::string_view reason) {
    dropped_.with({std::string(to_string(flow.transport)), std::string(reason)}).inc();
  }

  void handle_response(IncomingMessage&& incoming) {
    auto key = client_key_of_response(incoming.message);
    if (key) {
      if (auto it = clients_.find(*key); it != clients_.end()) {
        auto transaction = it->second;  // it may end (and leave the table) while handling the response
        transaction->on_response(std::move(incoming));
        return;
      }
    }
    // §17.1.1.2 / RFC 6026: a 2xx to an INVITE whose transaction has ended still concerns the UAC core (it
    // must ACK it); any other response without a transaction is dropped (§18.1.2).
    auto cseq = incoming.message.cseq();
    if (cseq && cseq->method == Method::invite && is_success(incoming.message.status())) {
      if (user_) user_->on_stray_response(incoming);
      return;
    }
    drop(incoming.flow, "no_transaction");
  }

  void handle_request(IncomingMessage&& incoming) {
    const Message& request = incoming.message;
    if (request.method() == Method::ack) return handle_ack(std::move(incoming));
    auto key = server_key(request);
    if (!key) return drop(incoming.flow, "no_transaction_key");
    if (auto it = servers_.find(*key); it != servers_.end()) {
      auto transaction = it->second;
      transaction->on_retransmission();
      return;
    }
    if (servers_.size() >= options_.max_server_transactions) {
      drop(incoming.flow, "overload");
      return respond_stateless(incoming, 503, "Retry-After", "5");
    }
    if (request.method() == Method::cancel) return handle_cancel(std::move(incoming), std::move(*key));

    auto merged = merged_request_key(request);
    if (merged) {
      auto it = merged_.find(*merged);
      if (it != merged_.end() && !it->second.expired()) {
        // §8.2.2.2: the same request reached us over another path (a fork). Answered through a transaction
        // of its own, so its retransmissions get the same 482.
        auto transaction = create_server(std::move(*key), std::move(incoming));
        transaction->respond(482, "Loop Detected");
        return;
      }
    }
    auto transaction = create_server(std::move(*key), std::move(incoming));
    if (merged) {
      transaction->merged_key = merged;
      merged_[*merged] = transaction;
    }
    if (user_) user_->on_request(transaction->handle(), transaction->incoming());
  }

  std::shared_ptr<ServerTransaction> create_server(std::string key, IncomingMessage&& incoming) {
    auto request = std::make_shared<const IncomingMessage>(std::move(incoming));
    Via via = *request->message.top_via();  // checked by the transport (mandatory headers, Via grammar)
    auto transaction =
        std::make_shared<ServerTransaction>(shared_from_this(), std::move(key), request, std::move(via));
    servers_[transaction->key()] = transaction;
    metrics_.server_transactions->set(static_cast<double>(servers_.size()));
    transaction->start();
    return transaction;
  }

  void handle_cancel(IncomingMessage&& incoming, std::string key) {
    auto invite_key = server_key(incoming.message, "INVITE");
    auto cancel = create_server(std::move(key), std::move(incoming));
    std::shared_ptr<ServerTransaction> invite;
    if (invite_key) {
      if (auto it = servers_.find(*invite_key); it != servers_.end()) invite = it->second;
    }
    // §9.2: no INVITE transaction → 481; one that already sent its final response → 200, no other effect;
    // one still proceeding → the TU answers the CANCEL (200) and the INVITE (487).
    if (!invite) return cancel->respond(481, "Call/Transaction Does Not Exist");
    if (invite->state() != ServerTransaction::State::proceeding || user_ == nullptr)
      return cancel->respond(200, {});
    user_->on_cancel(cancel->handle(), invite->handle(), cancel->incoming());
  }

  void handle_ack(IncomingMessage&& incoming) {
    auto key = server_key(incoming.message);
    if (key) {
      if (auto it = servers_.find(*key); it != servers_.end()) {
        auto transaction = it->second;
        transaction->on_ack(incoming);
        return;
      }
    }
    // The ACK of a 2xx: stop the 2xx retransmissions of its INVITE transaction, and give it to the TU.
    if (auto ack_key = ack_key_of_request(incoming.message)) {
      if (auto it = accepted_acks_.find(*ack_key); it != accepted_acks_.end()) {
        if (auto transaction = it->second.lock()) transaction->on_2xx_acknowledged();
      }
    }
    if (user_) user_->on_stray_request(incoming);
  }

  void respond_stateless(const IncomingMessage& incoming, int status, std::string_view header = {},
                         std::string value = {}) {
    Message response = make_response(incoming.message, status, {}, generate_tag());
    if (!header.empty()) response.add_header(header, std::move(value));
    auto via = incoming.message.top_via();
    if (!via) return;
    transport_->send_response(std::make_shared<const std::string>(response.to_string()), incoming.flow, *via,
                              {});
  }

  std::shared_ptr<metrics::Registry> owned_metrics_;
  Strand strand_;
  asio::any_io_executor executor_;
  TransactionLayerOptions options_;
  TransactionUser* user_;
  metrics::Family<metrics::Counter>& dropped_;
  TransactionMetrics metrics_;
  std::shared_ptr<TransportLayer> transport_;
  std::unordered_map<std::string, std::shared_ptr<ClientTransaction>> clients_;
  std::unordered_map<std::string, std::shared_ptr<ServerTransaction>> servers_;
  std::unordered_map<std::string, std::weak_ptr<ServerTransaction>> merged_;
  std::unordered_map<std::string, std::weak_ptr<ServerTransaction>> accepted_acks_;
  bool stopped_ = false;
};

// ---- TransactionLayer

TransactionLayer::TransactionLayer(asio::io_context& io, TransactionLayerOptions options,
                                   TransactionUser& user, metrics::Registry* metrics)
    : io_(io) {
  std::shared_ptr<metrics::Registry> owned;
  if (metrics == nullptr) {
    owned = std::make_shared<metrics::Registry>();
    metrics = owned.get();
  }
  core_ = std::make_shared<TransactionCore>(io, std::move(options), user, *metrics);
  core_->init(*metrics, std::move(owned));
}

TransactionLayer::~TransactionLayer() {
  stop();
}

std::optional<std::string> TransactionLayer::start() {
  return core_->start();
}

void TransactionLayer::stop() {
  auto core = core_;
  if (!core) return;
  if (core->concrete_strand().running_in_this_thread() || io_.stopped()) return core->shutdown();
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  asio::post(core->concrete_strand(), [core, done] {
    core->shutdown();
    done->set_value();
  });
  // Nobody may be running the io_context (e.g. start() failed before the threads were started): then no
  // handler can run concurrently either, and shutting down here is safe.
  if (finished.wait_for(std::chrono::seconds(5)) != std::future_status::ready) core->shutdown();
}

const std::vector<ListeningPoint>& TransactionLayer::listening_points() const {
  return core_->transport().listening_points();
}

asio::any_io_executor TransactionLayer::strand() const {
  return core_->strand();
}

ClientTransactionHandle TransactionLayer::send_request(Message request, ResponseHandler on_response,
                                                       SendOptions options) {
  auto transaction = std::make_shared<ClientTransaction>(core_, std::move(request), std::move(on_response),
                                                         std::move(options));
  asio::post(core_->concrete_strand(), [core = core_, transaction] { core->add_client(transaction); });
  return ClientTransactionHandle(transaction, core_, core_->strand());
}

void TransactionLayer::send_stateless_request(Message request, SendOptions options) {
  asio::post(core_->concrete_strand(),
             [core = core_, request = std::move(request), options = std::move(options)]() mutable {
               core->send_stateless_request(std::move(request), std::move(options));
             });
}

// ---- ClientTransactionHandle and the default CANCEL handling

ClientTransactionHandle::ClientTransactionHandle(std::weak_ptr<ClientTransaction> transaction,
                                                 std::weak_ptr<TransactionContext> context,
                                                 asio::any_io_executor strand)
    : transaction_(std::move(transaction)), context_(std::move(context)), strand_(std::move(strand)) {}

void ClientTransactionHandle::cancel(ResponseHandler on_response) const {
  if (!strand_) return;
  asio::post(strand_, [weak = transaction_, on_response = std::move(on_response)]() mutable {
    if (auto transaction = weak.lock()) transaction->cancel(std::move(on_response));
  });
}

void ClientTransactionHandle::send_ack(Message ack, SendOptions options) const {
  if (!strand_) return;
  asio::post(strand_, [weak = transaction_, context = context_, ack = std::move(ack),
                       options = std::move(options)]() mutable {
    if (auto transaction = weak.lock()) return transaction->send_ack(std::move(ack), std::move(options));
    if (auto ctx = context.lock()) ctx->send_stateless_request(std::move(ack), std::move(options));
  });
}

void TransactionUser::on_cancel(const ServerTransactionHandle& cancel, const ServerTransactionHandle& invite,
                                const IncomingMessage& request) {
  (void)request;
  cancel.respond(200);
  invite.respond(487);
}

}  // namespace va::sip
