#include "sip/trunk/registration_client.hpp"

#include <algorithm>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <optional>
#include <utility>

#include "common/log.hpp"
#include "sip/digest_challenge.hpp"
#include "sip/identifiers.hpp"
#include "sip/trunk/trunk_uri.hpp"
#include "sip/uac_authentication.hpp"

namespace va::sip {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string_view to_string(RegistrationState state) {
  switch (state) {
    case RegistrationState::unregistered:
      return "unregistered";
    case RegistrationState::registering:
      return "registering";
    case RegistrationState::registered:
      return "registered";
    case RegistrationState::failed:
      return "failed";
  }
  return "unknown";
}

namespace {

// A server that keeps challenging (a broken registrar, or a realm that never matches) must not make us loop.
constexpr int kMaxChallengesPerAttempt = 3;
constexpr int kMaxIntervalRetriesPerAttempt = 3;

std::string status_text(const Message& response) {
  return std::to_string(response.status()) + " " + std::string(response.reason());
}

std::optional<std::uint32_t> parse_seconds(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

class RegistrationSession : public std::enable_shared_from_this<RegistrationSession> {
 public:
  RegistrationSession(TransactionLayer& layer, RegistrationOptions options,
                      RegistrationClient::StatusHandler on_status, RegistrationClient::PeerHandler on_peer,
                      metrics::Registry* metrics)
      : layer_(layer),
        options_(std::move(options)),
        strand_(layer.strand()),
        timer_(strand_),
        resolver_(strand_),
        on_status_(std::move(on_status)),
        on_peer_(std::move(on_peer)),
        log_(log::Fields{{"trunk", options_.trunk}}),
        call_id_(generate_call_id()),
        from_tag_(generate_tag()),
        expires_(options_.expires),
        auth_(UacCredentials{options_.username, options_.password, options_.realm}) {
    if (metrics)
      requests_ = &metrics->counter("sip_register_requests_total",
                                    "REGISTER requests of register-mode trunks by outcome (registered, "
                                    "challenged, rejected, auth_failed, timeout, transport_error, ...)",
                                    {"trunk", "result"});
    registrar_uri_ = trunk_uri("", options_.registrar, options_.port, options_.transport);
    // The address of record: username at the registrar's domain, no port (RFC 3261 §10.2).
    aor_ = "<" + trunk_uri(options_.username, options_.registrar, 5060, TransportKind::udp).to_string() + ">";
  }

  void start() {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->stopped_ || self->started_) return;
      self->started_ = true;
      self->attempt();
    });
  }

  void unregister(std::function<void()> done) {
    asio::post(strand_, [self = shared_from_this(), done = std::move(done)]() mutable {
      self->begin_unregister(std::move(done));
    });
  }

  void stop() {
    asio::post(strand_, [self = shared_from_this()] { self->halt(); });
  }

 private:
  // --- one attempt: resolve the next hop, pick our Contact, send ---------------------------------------

  void attempt() {
    if (stopped_ || unregistering_) return;
    ++generation_;
    challenges_ = 0;
    interval_retries_ = 0;
    if (status_.state == RegistrationState::unregistered) {
      status_.state = RegistrationState::registering;
      report();
    }
    std::string host = options_.registrar;
    std::uint16_t port = options_.port;
    if (!options_.outbound_proxy.empty()) {
      auto proxy = parse_trunk_host_port(options_.outbound_proxy, options_.transport);
      if (!proxy)
        return fail(0, "outbound_proxy '" + options_.outbound_proxy + "' is not host:port", "error");
      host = proxy->host;
      port = *proxy->port;
      auto route = trunk_uri("", host, port, options_.transport);
      route.params.set("lr");
      proxy_route_ = "<" + route.to_string() + ">";
    }
    resolver_.async_resolve(
        host, std::to_string(port), asio::ip::udp::resolver::numeric_service,
        [self = shared_from_this(), generation = generation_, host, port](
            const boost::system::error_code& ec, const asio::ip::udp::resolver::results_type& results) {
          if (self->stopped_ || generation != self->generation_) return;
          if (ec || results.empty()) {
            return self->fail(0, "cannot resolve " + host + ": " + (ec ? ec.message() : "no address"),
                              "resolve_error");
          }
          // "localhost" may list ::1 first: take the first address of a family we have a listener for.
          auto chosen = results.begin()->endpoint().address();
          for (const auto& entry : results) {
            if (self->listener_for(entry.endpoint().address())) {
              chosen = entry.endpoint().address();
              break;
            }
          }
          self->resolved(host, port, chosen);
        });
  }

  void resolved(const std::string& host, std::uint16_t port, const asio::ip::address& address) {
    if (on_peer_) on_peer_(address);
    const ListeningPoint* point = listener_for(address);
    if (point == nullptr) {
      return fail(0,
                  "no " + std::string(to_string(options_.transport)) + (address.is_v6() ? " IPv6" : " IPv4") +
                      " listener in sip.listen to register from",
                  "error");
    }
    std::string contact_host = options_.advertised_host;
    if (contact_host.empty()) {
      auto local = point->local.address;
      if (local.is_unspecified()) local = local_address_towards(address);
      contact_host = local.to_string();
    }
    contact_uri_ = trunk_uri(options_.username, contact_host, point->local.port, options_.transport);
    // UDP and TCP go to the address just resolved (no second lookup); TLS keeps the name, which the server
    // certificate is checked against.
    next_hop_ = trunk_uri("", options_.transport == TransportKind::tls ? host : address.to_string(), port,
                          options_.transport);
    next_hop_.params.set("lr");
    send_register(expires_);
  }

  const ListeningPoint* listener_for(const asio::ip::address& remote) const {
    for (const auto& p : layer_.listening_points()) {
      if (p.transport == options_.transport && p.local.address.is_v6() == remote.is_v6()) return &p;
    }
    return nullptr;
  }

  asio::ip::address local_address_towards(const asio::ip::address& remote) {
    boost::system::error_code ec;
    asio::ip::udp::socket probe(strand_);
    probe.open(remote.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), ec);
    if (!ec) probe.connect(asio::ip::udp::endpoint(remote, 5060), ec);
    asio::ip::address local;
    if (!ec) local = probe.local_endpoint(ec).address();
    if (ec)
      local = remote.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                             : asio::ip::address(asio::ip::address_v4::loopback());
    return local;
  }

  Message build_register(std::chrono::seconds expires) {
    auto request = Message::request("REGISTER", registrar_uri_);
    request.add_header("From", aor_ + ";tag=" + from_tag_);
    request.add_header("To", aor_);
    request.add_header("Call-ID", call_id_);
    request.add_header("CSeq", std::to_string(++cseq_) + " REGISTER");
    std::string contact = "<" + contact_uri_.to_string() + ">;expires=" + std::to_string(expires.count());
    if (!options_.instance_id.empty()) contact += ";+sip.instance=\"<" + options_.instance_id + ">\"";
    request.add_header("Contact", contact);
    request.add_header("Expires", std::to_string(expires.count()));
    if (!options_.allow.empty()) request.add_header("Allow", options_.allow);
    request.add_header("User-Agent", "voice-agent");
    // §8.1.2: an outbound proxy is a preloaded loose route (the request is also sent straight to it).
    if (!proxy_route_.empty()) request.add_header("Route", proxy_route_);
    return request;
  }

  void send_register(std::chrono::seconds expires) {
    auto request = build_register(expires);
    // §22.4 / RFC 7616 §3.4.5: a refresh carries the nonce we were last given, with the next nonce count.
    auth_.authorize(request);
    send(std::move(request), expires);
  }

  void send(Message request, std::chrono::seconds expires) {
    sent_credentials_.clear();
    for (const auto& header : request.headers())
      if (header.is("Authorization") || header.is("Proxy-Authorization")) sent_credentials_.push_back(header);
    SendOptions send;
    send.next_hop = next_hop_;
    layer_.send_request(
        std::move(request),
        [self = shared_from_this(), generation = generation_, expires](const ClientResponse& r) {
          self->on_response(generation, expires, r);
        },
        send);
  }

  // --- responses -----------------------------------------------------------------------------------------

  void on_response(std::uint64_t generation, std::chrono::seconds expires, const ClientResponse& response) {
    if (stopped_ || generation != generation_) return;
    const auto& m = response.message;
    if (m.status() < 200) return;
    if (response.source == ResponseSource::network && on_peer_) on_peer_(response.flow.remote.address);
    const bool removing = expires.count() == 0;

    if (response.source == ResponseSource::timeout)
      return removing ? finish_unregister("timeout") : fail(m.status(), "timeout: no response", "timeout");
    if (response.source == ResponseSource::transport_error) {
      return removing ? finish_unregister("transport error")
                      : fail(m.status(), "transport error: cannot reach the registrar", "transport_error");
    }
    const int status = m.status();
    if (status == 401 || status == 407) return on_challenge(m, expires);
    if (status == 423 && !removing) return on_interval_too_brief(m, expires);
    if (status >= 200 && status < 300) {
      if (removing) {
        count("unregistered");
        return finish_unregister(status_text(m));
      }
      return on_registered(m, expires);
    }
    if (removing) {
      count("rejected");
      return finish_unregister(status_text(m));
    }
    fail(status, status_text(m), "rejected");
  }

  void on_challenge(const Message& m, std::chrono::seconds expires) {
    const bool removing = expires.count() == 0;
    auto retry = build_register(expires);
    for (const auto& header : sent_credentials_) retry.add_header(header);
    std::string why;
    const bool answered = ++challenges_ <= kMaxChallengesPerAttempt && auth_.answer(m, retry, why);
    if (!answered) {
      const bool refused = auth_.refused() || challenges_ > kMaxChallengesPerAttempt;
      if (refused) auth_.forget();  // the next attempt starts without credentials
      std::string problem = refused ? "credentials rejected" : why;
      if (removing) return finish_unregister(status_text(m) + ": " + problem);
      if (refused) problem += " (check trunk username and password)";
      return fail(m.status(), status_text(m) + ": " + problem, "auth_failed");
    }
    count("challenged");
    const auto& chosen = *auth_.last_challenge();
    log_.debug("sip trunk registrar challenged",
               {{"status", m.status()},
                {"realm", chosen.realm},
                {"algorithm", chosen.algorithm_name.empty() ? std::string("MD5") : chosen.algorithm_name},
                {"stale", chosen.stale},
                {"nonce_reused", reused_nonce()}});
    send(std::move(retry), expires);
  }

  // Whether the challenged REGISTER carried a nonce already used before (a refresh's nc > 1).
  bool reused_nonce() const {
    for (const auto& header : sent_credentials_) {
      auto sent = parse_digest_credentials(header.value);
      if (sent && sent->nc > 1) return true;
    }
    return false;
  }

  void on_interval_too_brief(const Message& m, std::chrono::seconds expires) {
    auto header = m.header("Min-Expires");
    auto minimum = header ? parse_seconds(*header) : std::nullopt;
    if (!minimum || std::chrono::seconds(*minimum) <= expires ||
        ++interval_retries_ > kMaxIntervalRetriesPerAttempt)
      return fail(423, status_text(m) + ": no usable Min-Expires", "rejected");
    count("interval_too_brief");
    log_.info("sip trunk registrar asks for a longer registration interval",
              {{"requested_s", static_cast<std::int64_t>(expires.count())},
               {"min_expires_s", static_cast<std::int64_t>(*minimum)}});
    expires_ = std::chrono::seconds(*minimum);
    send_register(expires_);
  }

  void on_registered(const Message& m, std::chrono::seconds requested) {
    std::chrono::seconds granted = requested;
    bool from_contact = false;
    if (auto contacts = m.contacts()) {
      for (const auto& a : contacts->addresses) {
        if (a.uri.user != contact_uri_.user || !same_host_and_port(a.uri, contact_uri_)) continue;
        if (auto e = a.params.get("expires")) {
          if (auto value = parse_seconds(*e)) {
            granted = std::chrono::seconds(*value);
            from_contact = true;
          }
        }
        break;
      }
    }
    if (!from_contact) {
      if (auto e = m.header("Expires")) {
        if (auto value = parse_seconds(*e)) granted = std::chrono::seconds(*value);
      }
    }
    if (granted.count() == 0)
      return fail(m.status(), status_text(m) + " without a binding (expires 0)", "rejected");
    count("registered");
    bound_ = true;
    const bool refresh = status_.state == RegistrationState::registered;
    status_.state = RegistrationState::registered;
    status_.last_status = m.status();
    status_.reason = status_text(m);
    status_.expires = granted;
    status_.consecutive_failures = 0;
    status_.retry_in = 0ms;
    auto delay = registration_refresh_delay(granted);
    log_.debug(refresh ? "sip trunk registration refreshed" : "sip trunk registration accepted",
               {{"expires_s", static_cast<std::int64_t>(granted.count())},
                {"refresh_in_ms", static_cast<std::int64_t>(delay.count())},
                {"contact", contact_uri_.to_string()}});
    report();
    schedule(delay);
  }

  void fail(int status, std::string reason, std::string_view result) {
    count(result);
    ++status_.consecutive_failures;
    auto delay = options_.retry.delay_after(status_.consecutive_failures);
    status_.state = options_.retry.failed_after(status_.consecutive_failures)
                        ? RegistrationState::failed
                        : RegistrationState::registering;
    status_.last_status = status;
    status_.reason = std::move(reason);
    status_.expires = 0s;
    status_.retry_in = delay;
    log_.warn("sip trunk registration failed",
              {{"registrar", options_.registrar},
               {"status", status},
               {"reason", status_.reason},
               {"consecutive_failures", static_cast<std::int64_t>(status_.consecutive_failures)},
               {"retry_in_ms", static_cast<std::int64_t>(delay.count())}});
    report();
    schedule(delay);
  }

  void schedule(std::chrono::milliseconds delay) {
    timer_.expires_after(delay);
    timer_.async_wait(
        [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
          if (ec || self->stopped_ || generation != self->generation_) return;
          self->attempt();
        });
  }

  // --- unregistering and stopping -------------------------------------------------------------------------

  void begin_unregister(std::function<void()> done) {
    if (stopped_ || unregistering_) {
      if (done) done();
      return;
    }
    unregistering_ = true;
    ++generation_;
    timer_.cancel();
    resolver_.cancel();
    unregister_done_ = std::move(done);
    if (!bound_ || contact_uri_.host.empty()) return finish_unregister("no binding to remove");
    challenges_ = 0;
    timer_.expires_after(options_.unregister_timeout);
    timer_.async_wait(
        [self = shared_from_this(), generation = generation_](const boost::system::error_code& ec) {
          if (ec || self->stopped_ || generation != self->generation_) return;
          self->finish_unregister("no answer within " +
                                  std::to_string(self->options_.unregister_timeout.count()) + " ms");
        });
    send_register(0s);
  }

  void finish_unregister(std::string outcome) {
    if (stopped_) return;
    ++generation_;
    timer_.cancel();
    bound_ = false;
    status_.state = RegistrationState::unregistered;
    status_.reason = "unregistered: " + outcome;
    status_.expires = 0s;
    status_.retry_in = 0ms;
    log_.info("sip trunk unregistered", {{"registrar", options_.registrar}, {"outcome", outcome}});
    report();
    stopped_ = true;
    if (auto done = std::exchange(unregister_done_, nullptr)) done();
  }

  void halt() {
    stopped_ = true;
    ++generation_;
    timer_.cancel();
    resolver_.cancel();
    if (auto done = std::exchange(unregister_done_, nullptr)) done();
  }

  void report() {
    if (on_status_) on_status_(status_);
  }

  void count(std::string_view result) {
    if (requests_) requests_->with({options_.trunk, std::string(result)}).inc();
  }

  TransactionLayer& layer_;
  RegistrationOptions options_;
  asio::any_io_executor strand_;
  asio::steady_timer timer_;
  asio::ip::udp::resolver resolver_;
  RegistrationClient::StatusHandler on_status_;
  RegistrationClient::PeerHandler on_peer_;
  metrics::Family<metrics::Counter>* requests_ = nullptr;
  log::Logger log_;

  Uri registrar_uri_;
  std::string aor_;
  Uri contact_uri_;
  Uri next_hop_;
  std::string proxy_route_;  // "<sip:proxy;lr>" when trunk.outbound_proxy is set
  std::string call_id_;
  std::string from_tag_;
  std::uint32_t cseq_ = 0;
  std::chrono::seconds expires_;

  UacAuthentication auth_;
  std::vector<Header> sent_credentials_;  // of the REGISTER now outstanding: a challenge's retry carries them
  int challenges_ = 0;
  int interval_retries_ = 0;

  RegistrationStatus status_;
  std::uint64_t generation_ = 0;  // responses and timers of an abandoned attempt carry an older value
  bool started_ = false;
  bool stopped_ = false;
  bool unregistering_ = false;
  bool bound_ = false;  // a 2xx granted a binding that may still exist at the registrar
  std::function<void()> unregister_done_;
};

RegistrationClient::RegistrationClient(TransactionLayer& layer, RegistrationOptions options,
                                       StatusHandler on_status, PeerHandler on_peer,
                                       metrics::Registry* metrics)
    : session_(std::make_shared<RegistrationSession>(layer, std::move(options), std::move(on_status),
                                                     std::move(on_peer), metrics)) {}

RegistrationClient::~RegistrationClient() {
  stop();
}

void RegistrationClient::start() {
  session_->start();
}

void RegistrationClient::unregister(std::function<void()> done) {
  session_->unregister(std::move(done));
}

void RegistrationClient::stop() {
  session_->stop();
}

}  // namespace va::sip
