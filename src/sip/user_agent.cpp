#include "sip/user_agent.hpp"

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <map>

#include "common/log.hpp"
#include "sip/dialog.hpp"
#include "sip/identifiers.hpp"
#include "sip/inbound_call.hpp"
#include "sip/inbound_route.hpp"
#include "sip/media_threads.hpp"
#include "sip/response.hpp"
#include "sip/rtp_port_allocator.hpp"

namespace va::sip {
namespace {

namespace asio = boost::asio;

constexpr std::string_view kAllow = kAllowedMethods;
constexpr std::string_view kSdp = kSdpMediaType;

// The source address the kernel would use towards `remote` (a connected UDP socket sends nothing).
std::string local_address_towards(const Endpoint& remote) {
  boost::system::error_code ec;
  asio::io_context scratch;
  asio::ip::udp::socket socket(scratch);
  socket.open(remote.address.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
  if (!ec) socket.connect({remote.address, remote.port}, ec);
  auto local = ec ? asio::ip::udp::endpoint{} : socket.local_endpoint(ec);
  if (ec || local.address().is_unspecified()) return remote.address.is_v6() ? "::1" : "127.0.0.1";
  return local.address().to_string();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
class UserAgentCore : public TransactionUser,
                      public InboundCallHost,
                      public std::enable_shared_from_this<UserAgentCore> {
 public:
  UserAgentCore(asio::io_context& io, UserAgentOptions options, const CallHandlerRegistry& handlers,
                metrics::Registry* metrics)
      : options_(std::move(options)),
        handlers_(handlers),
        layer_(io, options_.sip, *this, metrics),
        ports_(options_.rtp_port_min, options_.rtp_port_max),
        media_threads_(options_.media_threads),
        metrics_(metrics ? metrics : &own_metrics_),
        calls_active_(metrics_->gauge("sip_calls_active", "SIP calls in progress").get()),
        calls_total_(&metrics_->counter("sip_calls_total", "Inbound SIP calls by outcome", {"result"})),
        rtp_sent_(
            metrics_->counter("rtp_packets_total", "RTP packets by direction", {"direction"}).with({"sent"})),
        rtp_received_(metrics_->counter("rtp_packets_total", "RTP packets by direction", {"direction"})
                          .with({"received"})) {}

  const UserAgentOptions& options() const override { return options_; }
  const CallHandlerRegistry& handlers() const override { return handlers_; }
  TransactionLayer& layer() { return layer_; }
  RtpPortAllocator& ports() override { return ports_; }
  std::optional<std::string> start() {
    if (auto error = layer_.start()) return error;
    media_threads_.start();
    return std::nullopt;
  }
  void stop() {
    if (stopped_.exchange(true)) return;
    layer_.stop();
    media_threads_.stop();
  }
  const std::vector<ListeningPoint>& listening_points() const { return layer_.listening_points(); }
  std::size_t active_calls() const { return active_.load(); }

  void count(std::string_view result) override { calls_total_->with({std::string(result)}).inc(); }
  RtpCounters rtp_counters() override {
    return {[this](std::uint64_t sent, std::uint64_t received) {
      rtp_sent_.inc(static_cast<double>(sent));
      rtp_received_.inc(static_cast<double>(received));
    }};
  }

  // From a call's thread.
  void call_ended(const std::shared_ptr<InboundCall>& call) override {
    // The core itself is kept alive: this may run after the UserAgent was stopped and destroyed.
    asio::post(layer_.strand(), [this, self = shared_from_this(), call] {
      calls_.erase(call->id().key());
      invites_.erase(invite_key(call->invite_request()));
      active_ = calls_.size();
      calls_active_.set(static_cast<double>(calls_.size()));
      check_drained();
    });
  }
  void send_bye(Message bye, const Flow& flow) override {
    ++pending_byes_;
    SendOptions options;
    if (flow.transport != TransportKind::udp) options.flow = flow;
    (void)layer_.send_request(
        std::move(bye),
        [this](const ClientResponse& response) {
          if (response.message.status() < 200) return;
          --pending_byes_;
          check_drained();
        },
        options);
  }

  void shutdown(std::function<void()> done) {
    asio::post(layer_.strand(), [this, self = shared_from_this(), done = std::move(done)]() mutable {
      shutting_down_ = true;
      on_drained_ = std::move(done);
      log::info("sip: shutting down", {{"calls", static_cast<std::int64_t>(calls_.size())}});
      for (auto& entry : calls_) {
        auto call = entry.second;  // a copy: clang 14 cannot capture structured bindings
        asio::post(call->io(), [call] { call->hangup(media::EndReason::shutdown, "shutdown"); });
      }
      check_drained();
    });
  }

  // TransactionUser, on the SIP strand.
  void on_request(const ServerTransactionHandle& transaction, const IncomingMessage& request) override;
  void on_cancel(const ServerTransactionHandle& cancel, const ServerTransactionHandle& invite,
                 const IncomingMessage& request) override;
  void on_stray_request(const IncomingMessage& request) override;
  void on_server_transaction_failed(const ServerTransactionHandle& transaction,
                                    ServerTransactionFailure failure) override;

 private:
  void new_invite(const ServerTransactionHandle& transaction, const IncomingMessage& request);
  void refuse(const ServerTransactionHandle& transaction, int status, std::string_view reason,
              std::string_view result, bool retry_after = false);
  std::shared_ptr<InboundCall> find(const Message& request) {
    auto key = dialog_key_of_request(request);
    if (!key) return nullptr;
    auto it = calls_.find(*key);
    if (it == calls_.end()) return nullptr;
    // The peer's tag must match too (§12.2.2).
    auto from = request.from();
    if (!from || from->tag().value_or("") != it->second->id().remote_tag) return nullptr;
    return it->second;
  }
  static std::string invite_key(const Message& invite) {
    auto call_id = invite.call_id();
    auto from = invite.from();
    if (!call_id || !from) return {};
    return std::string(*call_id) + '\n' + std::string(from->tag().value_or(""));
  }
  void check_drained() {
    if (shutting_down_ && on_drained_ && calls_.empty() && pending_byes_ == 0) {
      auto done = std::move(on_drained_);
      on_drained_ = nullptr;
      done();
    }
  }

  UserAgentOptions options_;
  const CallHandlerRegistry& handlers_;
  TransactionLayer layer_;
  RtpPortAllocator ports_;  // before the media threads: legs destroyed with them release their ports
  MediaThreads media_threads_;
  metrics::Registry own_metrics_;
  metrics::Registry* metrics_;
  metrics::Gauge& calls_active_;
  metrics::Family<metrics::Counter>* calls_total_;
  metrics::Counter& rtp_sent_;
  metrics::Counter& rtp_received_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::size_t> active_{0};

  // SIP strand only.
  std::map<std::string, std::shared_ptr<InboundCall>> calls_;  // by DialogId::key()
  std::map<std::string, std::weak_ptr<InboundCall>> invites_;  // by Call-ID + From tag, for CANCEL / Timer L
  bool shutting_down_ = false;
  std::size_t pending_byes_ = 0;
  std::function<void()> on_drained_;
};

// ---------------------------------------------------------------------------------------------------------
// UserAgentCore: SIP strand.

void UserAgentCore::refuse(const ServerTransactionHandle& transaction, int status, std::string_view reason,
                           std::string_view result, bool retry_after) {
  auto response = make_response(transaction.request(), status, reason, generate_tag());
  if (retry_after) response.add_header("Retry-After", "5");
  transaction.respond(std::move(response));
  count(result);
}

void UserAgentCore::on_request(const ServerTransactionHandle& transaction, const IncomingMessage& request) {
  const auto& m = request.message;
  bool in_dialog = dialog_key_of_request(m).has_value();
  if (m.method() == Method::invite && !in_dialog) return new_invite(transaction, request);
  if (in_dialog) {
    if (auto call = find(m)) {
      asio::post(call->io(), [call, transaction] { call->on_in_dialog_request(transaction); });
      return;
    }
    if (m.method() != Method::options) {
      transaction.respond(481);  // Call/Transaction Does Not Exist (§12.2.2)
      return;
    }
  }
  switch (m.method()) {
    case Method::options: {
      // §11.2: what we can do, out of dialog or in a dialog we do not know.
      auto response = make_response(m, shutting_down_ ? 503 : 200, {}, generate_tag());
      response.add_header("Allow", std::string(kAllow));
      response.add_header("Accept", std::string(kSdp));
      transaction.respond(std::move(response));
      return;
    }
    case Method::bye:
    case Method::info:
    case Method::update:
      transaction.respond(481);
      return;
    default: {
      auto response = make_response(m, 405, {}, generate_tag());
      response.add_header("Allow", std::string(kAllow));
      transaction.respond(std::move(response));
      return;
    }
  }
}

void UserAgentCore::new_invite(const ServerTransactionHandle& transaction, const IncomingMessage& request) {
  const auto& m = request.message;
  if (shutting_down_) return refuse(transaction, 503, "Shutting Down", "shutting_down", true);
  if (calls_.size() >= options_.max_calls)
    return refuse(transaction, 503, "Too Many Calls", "overloaded", true);
  if (!m.tokens(HeaderId::require).empty()) {
    // §8.2.2.3: we support no extension that a peer could require.
    auto response = make_response(m, 420, {}, generate_tag());
    std::string unsupported;
    for (auto t : m.tokens(HeaderId::require))
      unsupported += (unsupported.empty() ? "" : ", ") + std::string(t);
    response.add_header("Unsupported", unsupported);
    transaction.respond(std::move(response));
    count("unsupported");
    return;
  }

  if (options_.admission) {
    auto decision = options_.admission->admit(request);
    if (!decision.admitted()) {
      auto response = make_response(m, decision.status, decision.reason, generate_tag());
      for (const auto& [name, value] : decision.headers) response.add_header(name, value);
      transaction.respond(std::move(response));
      count(decision.result.empty() ? "refused" : decision.result);
      return;
    }
  }

  InboundCallInfo info;
  info.call_id = std::string(m.call_id().ok() ? *m.call_id() : std::string_view{});
  info.dialed = m.request_uri().user;
  if (auto from = m.from()) info.caller = from->uri.to_string();
  const auto* route = find_inbound_route(options_.routing, info.dialed);
  if (!route) return refuse(transaction, 404, "No Route", "no_route");
  if (!handlers_.contains(route->flow)) {
    // A route to a flow this build does not provide (e.g. a conversation flow before the voice module
    // exists): temporarily unavailable rather than silently echoing.
    log::warn("sip: route names an unknown flow", {{"flow", route->flow}, {"dialed", info.dialed}});
    return refuse(transaction, 480, "Flow Not Available", "no_flow");
  }
  info.flow = route->flow;

  // Our Contact and SDP address: sip.public_address when set, else the local address the INVITE arrived on
  // (for a wildcard listener: the address the kernel routes towards the caller).
  const auto& flow = transaction.flow();
  std::string local_host = options_.sip.transport.advertised_host;
  if (local_host.empty()) {
    local_host = flow.local.address.is_unspecified() ? local_address_towards(flow.remote)
                                                     : flow.local.address.to_string();
  }
  std::string media_address =
      options_.media_advertised_address.empty() ? local_host : options_.media_advertised_address;
  bool v6_literal = local_host.find(':') != std::string::npos;
  auto contact_text =
      "<sip:voice-agent@" + (v6_literal ? "[" + local_host + "]" : local_host) + ":" +
      std::to_string(flow.local.port) +
      (flow.transport == TransportKind::udp ? "" : ";transport=" + std::string(to_string(flow.transport))) +
      ">";
  auto contact = parse_address(contact_text);
  if (!contact) return refuse(transaction, 500, "Bad Local Contact", "error");

  auto dialog = Dialog::create_uas(m, generate_tag(), *contact);
  if (!dialog) {
    transaction.respond(make_response(m, 400, dialog.error().reason_phrase(), generate_tag()));
    count("bad_request");
    return;
  }
  auto& shard = media_threads_.next();
  auto call = std::make_shared<InboundCall>(*this, shard, transaction, std::move(*dialog), std::move(info),
                                            std::move(media_address));
  calls_[call->id().key()] = call;
  invites_[invite_key(m)] = call;
  active_ = calls_.size();
  calls_active_.set(static_cast<double>(calls_.size()));
  asio::post(shard.io, [call] { call->start(); });
}

void UserAgentCore::on_cancel(const ServerTransactionHandle& cancel, const ServerTransactionHandle& invite,
                              const IncomingMessage& request) {
  (void)request;
  cancel.respond(200);  // §9.2: the CANCEL itself is always answered
  auto it = invites_.find(invite_key(invite.request()));
  auto call = it == invites_.end() ? nullptr : it->second.lock();
  if (!call) {
    invite.respond(487);
    return;
  }
  asio::post(call->io(), [call, invite] { call->on_cancel(invite); });
}

void UserAgentCore::on_stray_request(const IncomingMessage& request) {
  if (request.message.method() != Method::ack) return;
  if (auto call = find(request.message)) {
    asio::post(call->io(), [call, ack = request.message] { call->on_ack(ack); });
  }
}

void UserAgentCore::on_server_transaction_failed(const ServerTransactionHandle& transaction,
                                                 ServerTransactionFailure failure) {
  if (failure != ServerTransactionFailure::no_ack_for_2xx) return;
  auto it = invites_.find(invite_key(transaction.request()));
  auto call = it == invites_.end() ? nullptr : it->second.lock();
  if (call) asio::post(call->io(), [call] { call->on_no_ack(); });
}

// ---------------------------------------------------------------------------------------------------------
UserAgent::UserAgent(asio::io_context& io, UserAgentOptions options, const CallHandlerRegistry& handlers,
                     metrics::Registry* metrics)
    : core_(std::make_shared<UserAgentCore>(io, std::move(options), handlers, metrics)) {}

UserAgent::~UserAgent() {
  stop();
}

std::optional<std::string> UserAgent::start() {
  return core_->start();
}
const std::vector<ListeningPoint>& UserAgent::listening_points() const {
  return core_->listening_points();
}
void UserAgent::shutdown(std::function<void()> done) {
  core_->shutdown(std::move(done));
}
void UserAgent::stop() {
  core_->stop();
}
std::size_t UserAgent::active_calls() const {
  return core_->active_calls();
}
TransactionLayer& UserAgent::transactions() {
  return core_->layer();
}

}  // namespace va::sip
