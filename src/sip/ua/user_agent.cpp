#include "sip/ua/user_agent.hpp"

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cctype>
#include <map>

#include "common/log.hpp"
#include "media/media_threads.hpp"
#include "sip/identifiers.hpp"
#include "sip/response.hpp"
#include "sip/ua/dialog.hpp"
#include "sip/ua/inbound_call.hpp"
#include "sip/ua/inbound_route.hpp"
#include "sip/ua/outbound_call.hpp"
#include "sip/ua/rtp_port_allocator.hpp"

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
                      public CallHost,
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
        outbound_total_(
            &metrics_->counter("sip_outbound_calls_total", "Outbound SIP calls by outcome", {"result"})),
        rtp_sent_(
            metrics_->counter("rtp_packets_total", "RTP packets by direction", {"direction"}).with({"sent"})),
        rtp_received_(metrics_->counter("rtp_packets_total", "RTP packets by direction", {"direction"})
                          .with({"received"})),
        drain_timer_(layer_.strand()) {}

  const UserAgentOptions& options() const override { return options_; }
  const CallHandlerRegistry& handlers() const override { return handlers_; }
  TransactionLayer& layer() { return layer_; }
  RtpPortAllocator& ports() override { return ports_; }
  std::optional<std::string> start() {
    if (auto error = layer_.start()) return error;
    media_threads_.start();
    accepting_outbound_ = true;
    return std::nullopt;
  }
  void stop() {
    accepting_outbound_ = false;
    if (stopped_.exchange(true)) return;
    layer_.stop();
    media_threads_.stop();
  }
  const std::vector<ListeningPoint>& listening_points() const { return layer_.listening_points(); }
  std::size_t active_calls() const { return active_.load(); }

  void count(std::string_view result) override { calls_total_->with({std::string(result)}).inc(); }
  void count_outbound(std::string_view result) override {
    outbound_total_->with({std::string(result)}).inc();
  }
  RtpCounters rtp_counters() override {
    RtpCounters counters;
    counters.add = [this](std::uint64_t sent, std::uint64_t received) {
      rtp_sent_.inc(static_cast<double>(sent));
      rtp_received_.inc(static_cast<double>(received));
    };
    counters.call_ended = rtp_quality_recorder(*metrics_);
    return counters;
  }

  // From a call's thread.
  void call_ended(const std::shared_ptr<SipCall>& call) override {
    // The core itself is kept alive: this may run after the UserAgent was stopped and destroyed.
    asio::post(layer_.strand(), [this, self = shared_from_this(), call]() mutable {
      calls_.erase(call->key());
      if (auto inbound = std::dynamic_pointer_cast<InboundCall>(call)) {
        invites_.erase(invite_key(inbound->invite_request()));
      }
      active_ = calls_.size();
      calls_active_.set(static_cast<double>(calls_.size()));
      check_drained();
      // The last reference goes back to the call's own thread: destroying the call destroys its handler
      // (the conversation), which may still be running there, e.g. in the very action that hung up.
      auto& io = call->io();
      asio::post(io, [call = std::move(call)] {});
    });
  }
  void dialog_established(const std::shared_ptr<SipCall>& call, std::string remote_tag) override {
    // Posted before the call's ACK is handed to the layer, so the peer's first in-dialog request (which
    // follows our ACK) finds the tag.
    asio::post(layer_.strand(), [this, self = shared_from_this(), call, tag = std::move(remote_tag)] {
      auto it = calls_.find(call->key());
      if (it != calls_.end() && it->second.call == call) {
        it->second.remote_tag = tag;
        it->second.established = true;
      }
    });
  }
  ClientTransactionHandle send_request(Message request, ResponseHandler on_response,
                                       SendOptions options) override {
    return layer_.send_request(std::move(request), std::move(on_response), std::move(options));
  }
  void send_bye(Message bye, SendOptions options) override {
    asio::post(layer_.strand(), [this, self = shared_from_this()] { ++pending_byes_; });
    (void)layer_.send_request(
        std::move(bye),
        [this](const ClientResponse& response) {
          if (response.message.status() < 200) return;
          --pending_byes_;
          check_drained();
        },
        std::move(options));
  }

  PlacedCall place_call(OutboundCallRequest request);

  void shutdown(std::function<void()> done, std::chrono::milliseconds drain_timeout) {
    accepting_outbound_ = false;
    asio::post(layer_.strand(), [this, self = shared_from_this(), done = std::move(done),
                                 drain_timeout]() mutable {
      shutting_down_ = true;
      on_drained_ = std::move(done);
      log::info("sip: draining", {{"calls", static_cast<std::int64_t>(calls_.size())},
                                  {"drain_timeout_ms", static_cast<std::int64_t>(drain_timeout.count())}});
      if (drain_timeout <= std::chrono::milliseconds::zero() || calls_.empty()) {
        hang_up_all("shutdown");
      } else {
        drain_timer_.expires_after(drain_timeout);
        drain_timer_.async_wait([this, self](const boost::system::error_code& ec) {
          if (ec || calls_.empty()) return;
          log::warn("sip: calls still in progress at the drain timeout: hanging up",
                    {{"calls", static_cast<std::int64_t>(calls_.size())}});
          hang_up_all("drain timeout");
        });
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
  std::shared_ptr<SipCall> find(const Message& request) {
    auto key = dialog_key_of_request(request);
    if (!key) return nullptr;
    auto it = calls_.find(*key);
    if (it == calls_.end()) return nullptr;
    // The peer's tag must match too (§12.2.2); an outbound call has none before its 2xx.
    auto from = request.from();
    if (!from || !it->second.established || from->tag().value_or("") != it->second.remote_tag) return nullptr;
    return it->second.call;
  }
  // Our Contact host towards `remote` (sip.public_address, else the listener's address, else the address
  // the kernel routes towards the peer).
  std::string local_host_for(const ListeningPoint& point, const Endpoint& remote) const {
    if (!options_.sip.transport.advertised_host.empty()) return options_.sip.transport.advertised_host;
    return point.local.address.is_unspecified() ? local_address_towards(remote)
                                                : point.local.address.to_string();
  }
  static std::optional<Address> contact_for(const std::string& host, const ListeningPoint& point) {
    bool v6_literal = host.find(':') != std::string::npos;
    auto text =
        "<sip:voice-agent@" + (v6_literal ? "[" + host + "]" : host) + ":" +
        std::to_string(point.local.port) +
        (point.transport == TransportKind::udp ? ""
                                               : ";transport=" + std::string(to_string(point.transport))) +
        ">";
    auto contact = parse_address(text);
    if (!contact) return std::nullopt;
    return *contact;
  }
  static std::string invite_key(const Message& invite) {
    auto call_id = invite.call_id();
    auto from = invite.from();
    if (!call_id || !from) return {};
    return std::string(*call_id) + '\n' + std::string(from->tag().value_or(""));
  }
  // SIP strand.
  void hang_up_all(const std::string& detail) {
    for (auto& entry : calls_) {
      auto call = entry.second.call;  // a copy: clang 14 cannot capture structured bindings
      asio::post(call->io(), [call, detail] { call->hangup(media::EndReason::shutdown, detail); });
    }
  }
  void check_drained() {
    if (shutting_down_ && on_drained_ && calls_.empty() && pending_byes_ == 0) {
      drain_timer_.cancel();
      auto done = std::move(on_drained_);
      on_drained_ = nullptr;
      done();
    }
  }

  UserAgentOptions options_;
  const CallHandlerRegistry& handlers_;
  TransactionLayer layer_;
  RtpPortAllocator ports_;  // before the media threads: legs destroyed with them release their ports
  media::MediaThreads media_threads_;
  metrics::Registry own_metrics_;
  metrics::Registry* metrics_;
  metrics::Gauge& calls_active_;
  metrics::Family<metrics::Counter>* calls_total_;
  metrics::Family<metrics::Counter>* outbound_total_;
  metrics::Counter& rtp_sent_;
  metrics::Counter& rtp_received_;
  std::atomic<bool> stopped_{false};
  std::atomic<bool> accepting_outbound_{false};  // between start() and shutdown()/stop()
  std::atomic<std::size_t> active_{0};

  // SIP strand only.
  struct CallEntry {
    std::shared_ptr<SipCall> call;
    std::string remote_tag;    // the peer's tag (RFC 2543 peers may have none)
    bool established = false;  // an outbound call's is known from its 2xx on
  };
  std::map<std::string, CallEntry> calls_;                     // by Call-ID + our tag (DialogId::key())
  std::map<std::string, std::weak_ptr<InboundCall>> invites_;  // by Call-ID + From tag, for CANCEL / Timer L
  bool shutting_down_ = false;
  asio::steady_timer drain_timer_;
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
  std::string unsupported;
  for (auto t : m.tokens(HeaderId::require)) {
    // §8.2.2.3: of the extensions a peer could require we support session timers (RFC 4028).
    if (t == "timer" && options_.session_timer.enabled) continue;
    unsupported += (unsupported.empty() ? "" : ", ") + std::string(t);
  }
  if (!unsupported.empty()) {
    auto response = make_response(m, 420, {}, generate_tag());
    response.add_header("Unsupported", unsupported);
    transaction.respond(std::move(response));
    count("unsupported");
    return;
  }

  std::string trunk;
  if (options_.admission) {
    auto decision = options_.admission->admit(request);
    trunk = decision.trunk;
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
  if (auto from = m.from()) info.caller = from->uri.to_string();
  auto to = m.to();
  auto choice =
      choose_inbound_route(options_.routing, m.request_uri().user, to ? std::string_view(to->uri.user) : "");
  info.dialed = std::string(choice.dialed);
  info.trunk = std::move(trunk);
  for (const auto& mapping : options_.headers_to_attributes) {
    if (auto value = m.header(mapping.header)) info.attributes[mapping.attribute] = std::string(*value);
  }
  if (options_.include_headers == "x_headers" || options_.include_headers == "all") {
    for (const auto& h : m.headers()) {
      bool x_header = h.name.size() > 2 && (h.name[0] == 'X' || h.name[0] == 'x') && h.name[1] == '-';
      if (!x_header && options_.include_headers != "all") continue;
      std::string key = "sip.h.";
      for (char c : h.name) key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
      info.attributes[key] = h.value;
    }
  }
  const auto* route = choice.route;
  if (!route) return refuse(transaction, 404, "No Route", "no_route");
  if (!handlers_.contains(route->flow)) {
    // A route to a flow this build does not provide (e.g. a conversation flow before the voice module
    // exists): temporarily unavailable rather than silently echoing.
    log::warn("sip: route names an unknown flow", {{"flow", route->flow}, {"dialed", info.dialed}});
    return refuse(transaction, 480, "Flow Not Available", "no_flow");
  }
  info.flow = route->flow;
  info.language = route->language == config::Language::en ? "en" : "ru";
  info.record = recording_mode(route->record);

  // Our Contact and SDP address: sip.public_address when set, else the local address the INVITE arrived on
  // (for a wildcard listener: the address the kernel routes towards the caller).
  const auto& flow = transaction.flow();
  ListeningPoint arrived{{}, flow.transport, flow.local};
  std::string local_host = local_host_for(arrived, flow.remote);
  std::string media_address =
      options_.media_advertised_address.empty() ? local_host : options_.media_advertised_address;
  auto contact = contact_for(local_host, arrived);
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
  calls_[call->key()] = {call, call->dialog_id().remote_tag, true};
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
// Outbound calls: checked on the caller's thread, registered on the strand, run on a media thread.

PlacedCall UserAgentCore::place_call(OutboundCallRequest request) {
  auto fail = [&request](std::string error) {
    log::warn("sip: outbound call refused", {{"target", request.target}, {"error", error}});
    return PlacedCall{{}, std::move(error)};
  };
  if (stopped_.load() || accepting_outbound_.load() == false) return fail("the user agent is not running");
  auto target = parse_uri(request.target);
  if (!target) return fail("target: " + target.error().to_string());
  if (!target->is_sip()) return fail("target: not a sip: or sips: URI");
  std::optional<Uri> proxy;
  if (!request.outbound_proxy.empty()) {
    auto parsed = parse_uri(request.outbound_proxy);
    if (!parsed || !parsed->is_sip()) return fail("outbound proxy: not a sip: URI");
    proxy = *parsed;
  }
  auto handler = request.handler ? std::move(request.handler) : handlers_.make(request.flow);
  if (!handler) return fail("no flow named '" + request.flow + "'");

  // Our listener for the first hop's transport, and our address towards it.
  const Uri& hop = proxy ? *proxy : *target;
  auto transport = hop.transport();
  TransportKind kind = hop.scheme == UriScheme::sips || transport == "tls" ? TransportKind::tls
                       : transport == "tcp"                                ? TransportKind::tcp
                                                                           : TransportKind::udp;
  const ListeningPoint* point = nullptr;
  for (const auto& p : layer_.listening_points()) {
    if (p.transport == kind) {
      point = &p;
      break;
    }
  }
  if (!point) return fail("no " + std::string(to_string(kind)) + " listener for " + hop.to_string());
  Endpoint remote{asio::ip::make_address("192.0.2.1"), hop.port_or_default()};  // TEST-NET: a route only
  if (hop.host_kind != HostKind::hostname) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(hop.host, ec);
    if (!ec) remote.address = address;
  }
  auto local_host = local_host_for(*point, remote);
  auto contact = contact_for(local_host, *point);
  if (!contact) return fail("cannot write our Contact for " + local_host);

  Address from;
  if (request.from.empty()) {
    from.uri = contact->uri;
    from.uri.port.reset();
    from.uri.params = {};
  } else {
    auto parsed = parse_address(request.from);
    if (!parsed) return fail("from: " + parsed.error().to_string());
    from = *parsed;
  }
  from.params.set("tag", generate_tag());
  Address to;
  to.uri = *target;

  CallInfo info;
  info.call_id = generate_call_id(local_host);
  info.caller = from.uri.to_string();
  info.dialed = target->user;
  info.flow = request.flow;
  info.outbound = true;
  info.trunk = request.trunk;
  info.record_id = request.record_id;
  info.record = recording_mode(options_.routing.outbound.record);

  OutboundCallSetup setup;
  setup.target = *target;
  setup.from = std::move(from);
  setup.to = std::move(to);
  setup.local_contact = std::move(*contact);
  setup.proxy = std::move(proxy);
  setup.credentials = std::move(request.credentials);
  setup.ring_timeout = request.ring_timeout;
  std::string media_address =
      options_.media_advertised_address.empty() ? local_host : options_.media_advertised_address;

  auto& shard = media_threads_.next();
  auto call = std::make_shared<OutboundCall>(*this, shard, info, std::move(media_address), std::move(setup),
                                             std::move(handler));
  log::info("sip: placing call",
            {{"call_id", info.call_id}, {"target", request.target}, {"flow", request.flow}});
  asio::post(layer_.strand(), [this, self = shared_from_this(), call, &shard] {
    if (shutting_down_) {
      asio::post(shard.io, [call] { call->hangup(media::EndReason::shutdown, "shutting down"); });
      return;
    }
    calls_[call->key()] = {call, {}, false};
    active_ = calls_.size();
    calls_active_.set(static_cast<double>(calls_.size()));
    asio::post(shard.io, [call] { call->start(); });
  });
  return PlacedCall{info.call_id, {}};
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
void UserAgent::shutdown(std::function<void()> done, std::chrono::milliseconds drain_timeout) {
  core_->shutdown(std::move(done), drain_timeout);
}
void UserAgent::stop() {
  core_->stop();
}
std::size_t UserAgent::active_calls() const {
  return core_->active_calls();
}
PlacedCall UserAgent::place_call(OutboundCallRequest request) {
  return core_->place_call(std::move(request));
}
TransactionLayer& UserAgent::transactions() {
  return core_->layer();
}

}  // namespace va::sip
