#include "http/server.hpp"

#include <algorithm>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <charconv>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "common/log.hpp"
#include "http/server_core.hpp"

namespace va::http {

namespace detail {

namespace {

// Pause before accepting again after accept() failed (e.g. EMFILE), so the loop does not spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::chrono::milliseconds sweep_interval_for(const ServerOptions& options) {
  const auto shortest = std::min(options.read_timeout, options.idle_timeout);
  return std::clamp<std::chrono::milliseconds>(shortest / 4, std::chrono::milliseconds{10},
                                               std::chrono::milliseconds{250});
}

}  // namespace

ServerCore::ServerCore(asio::io_context& io_context, ServerOptions server_options, Router route_table,
                       metrics::Registry& metrics_registry)
    : io(io_context),
      options(std::move(server_options)),
      router(std::move(route_table)),
      cors(options.cors),
      cors_enabled(!options.cors.allowed_origins.empty()),
      sweep_interval(sweep_interval_for(options)),
      requests_total(metrics_registry.counter("http_requests_total",
                                              "HTTP requests served, by route, method and status",
                                              {"route", "method", "status"})),
      connections_active(
          metrics_registry.gauge("http_connections_active", "Open HTTP client connections").get()),
      rejected_rate_limited(metrics_registry
                                .counter("http_rejected_total",
                                         "HTTP requests refused before reaching a handler, by reason",
                                         {"reason"})
                                .with({"rate_limited"})),
      rejected_body_too_large(
          metrics_registry.counter("http_rejected_total", "", {"reason"}).with({"body_too_large"})),
      rejected_bad_request(
          metrics_registry.counter("http_rejected_total", "", {"reason"}).with({"bad_request"})),
      rejected_timeout(metrics_registry.counter("http_rejected_total", "", {"reason"}).with({"timeout"})),
      strand(asio::make_strand(io_context)),
      sweep_timer(strand) {
  if (options.rate_limit.enabled) {
    rate_limiter = std::make_unique<RateLimiter>(RateLimiterOptions{options.rate_limit.requests_per_second,
                                                                    options.rate_limit.burst,
                                                                    options.rate_limit.max_tracked_clients});
  }
  auto& durations =
      metrics_registry.histogram("http_request_duration_seconds",
                                 "Time from the first byte of a request to its response written", {"route"});
  // Index route_count() is past the routes: route_label() gives "unmatched" for it.
  for (std::size_t i = 0; i <= router.route_count(); ++i) {
    route_durations.push_back(&durations.with({router.route_label(i)}));
  }
}

metrics::Counter& ServerCore::request_counter(std::size_t route, Method method, unsigned status) {
  const std::uint64_t key = counter_key(route, method, status);
  {
    std::shared_lock lock(counters_mutex);
    if (auto it = counters.find(key); it != counters.end()) return *it->second;
  }
  metrics::Counter& counter = requests_total.with(
      {router.route_label(route), std::string(to_string(method)), std::to_string(status)});
  std::unique_lock lock(counters_mutex);
  counters.emplace(key, &counter);
  return counter;
}

void ServerCore::accept(Listener& listener) {
  listener.acceptor.async_accept(
      asio::make_strand(io),
      [self = shared_from_this(), &listener](const boost::system::error_code& ec, tcp::socket socket) {
        self->on_accept(listener, ec, std::move(socket));
      });
}

void ServerCore::on_accept(Listener& listener, const boost::system::error_code& ec, tcp::socket socket) {
  if (!listener.acceptor.is_open() || ec == asio::error::operation_aborted) return;
  if (ec) {
    log::warn("http accept failed", {{"address", listener.address}, {"error", ec.message()}});
    listener.retry_timer.expires_after(kAcceptRetryDelay);
    listener.retry_timer.async_wait(
        [self = shared_from_this(), &listener](const boost::system::error_code& wait_ec) {
          if (!wait_ec && listener.acceptor.is_open()) self->accept(listener);
        });
    return;
  }

  boost::system::error_code endpoint_ec;
  const auto remote = socket.remote_endpoint(endpoint_ec);
  if (!endpoint_ec) {
    socket.set_option(tcp::no_delay(true), endpoint_ec);  // responses are written whole; never wait for ACKs
    auto connection = std::make_shared<Connection>(shared_from_this(), std::move(socket), remote);
    bool accepted = false;
    {
      std::lock_guard lock(connections_mutex);
      if (!draining) {
        connections.emplace(connection.get(), connection);
        accepted = true;
      }
    }
    if (accepted) {
      connections_active.inc();
      asio::post(connection->executor(), [connection] { connection->start(); });
    }
  }
  accept(listener);
}

void ServerCore::close_listeners() {
  for (auto& listener : listeners) {
    boost::system::error_code ignored;
    listener->acceptor.close(ignored);
    listener->retry_timer.cancel();
  }
}

void ServerCore::schedule_sweep() {
  sweep_timer.expires_after(sweep_interval);
  sweep_timer.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->sweep();
  });
}

// One timer for all connections instead of one per connection: a request only stores its deadline (an
// atomic write), and this sweep, a few times per timeout period, sends the expired ones their timeout.
void ServerCore::sweep() {
  const auto now = to_ticks(Clock::now());
  bool keep_running = true;
  {
    std::lock_guard lock(connections_mutex);
    for (const auto& [raw, weak] : connections) {
      if (!raw->deadline_passed(now)) continue;
      if (auto connection = weak.lock()) {
        asio::post(connection->executor(), [connection] { connection->on_deadline(); });
      }
    }
    keep_running = !(draining && connections.empty());
  }
  if (keep_running) schedule_sweep();
}

void ServerCore::forget(Connection* connection, bool notify_drained) {
  std::function<void()> drained;
  {
    std::lock_guard lock(connections_mutex);
    if (connections.erase(connection) == 0) return;
    if (notify_drained && draining && connections.empty()) drained = std::move(on_drained);
  }
  connections_active.dec();
  if (drained) {
    asio::post(strand, [self = shared_from_this()] { self->sweep_timer.cancel(); });
    drained();
  }
}

std::vector<std::shared_ptr<Connection>> ServerCore::snapshot() const {
  std::vector<std::shared_ptr<Connection>> result;
  std::lock_guard lock(connections_mutex);
  result.reserve(connections.size());
  for (const auto& [raw, weak] : connections) {
    if (auto connection = weak.lock()) result.push_back(std::move(connection));
  }
  return result;
}

}  // namespace detail

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string text = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  text += ':';
  text += std::to_string(endpoint.port());
  return text;
}

// "host:port" or "[v6]:port"; a host name is resolved (numeric addresses are the norm).
tcp::endpoint parse_listen_address(asio::io_context& io, const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':') {
      throw std::runtime_error("http: invalid listen address \"" + address +
                               "\" (expected [v6-address]:port)");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos || address.find(':') != colon) {
      throw std::runtime_error("http: invalid listen address \"" + address +
                               "\" (expected host:port, IPv6 as [address]:port)");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  unsigned port_number = 0;
  const auto parsed = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || parsed.ec != std::errc{} || parsed.ptr != port.data() + port.size() ||
      port_number > 65535) {
    throw std::runtime_error("http: invalid port in listen address \"" + address + "\"");
  }
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (!ec) return {ip, static_cast<std::uint16_t>(port_number)};

  tcp::resolver resolver(io);
  const auto results =
      resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("http: cannot resolve listen address \"" + address +
                             "\": " + (ec ? ec.message() : std::string("no addresses")));
  }
  return results.begin()->endpoint();
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

struct Server::Impl : detail::ServerCore {
  using detail::ServerCore::ServerCore;
};

Server::Server(asio::io_context& io, ServerOptions options, Router router, metrics::Registry& metrics)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(router), metrics)) {}

Server::~Server() {
  // Handlers may still run on io threads; they keep Impl alive. Stop listening and close what is left, and
  // never call back into an owner that is going away.
  {
    std::lock_guard lock(impl_->connections_mutex);
    impl_->on_drained = nullptr;
  }
  asio::post(impl_->strand, [impl = impl_] {
    impl->close_listeners();
    impl->sweep_timer.cancel();
  });
  abort_connections();
}

void Server::start() {
  if (impl_->started) throw std::logic_error("http: Server::start called twice");
  impl_->started = true;
  std::vector<std::unique_ptr<detail::ServerCore::Listener>> listeners;
  std::vector<std::string> endpoints;
  for (const auto& address : impl_->options.listen) {
    const tcp::endpoint endpoint = parse_listen_address(impl_->io, address);
    auto listener = std::make_unique<detail::ServerCore::Listener>(detail::ServerCore::Listener{
        address, tcp::acceptor(impl_->strand), asio::steady_timer(impl_->strand)});
    try {
      auto& acceptor = listener->acceptor;
      acceptor.open(endpoint.protocol());
      acceptor.set_option(tcp::acceptor::reuse_address(true));
      // Keep "[::]:p" and "0.0.0.0:p" independent, as written in the configuration.
      if (endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true));
      acceptor.bind(endpoint);
      acceptor.listen(asio::socket_base::max_listen_connections);
      endpoints.push_back(endpoint_text(acceptor.local_endpoint()));
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error("http: cannot listen on " + address + ": " + e.code().message());
    }
    listeners.push_back(std::move(listener));
  }
  impl_->endpoints = std::move(endpoints);
  for (const auto& endpoint : impl_->endpoints) log::info("http server listening", {{"address", endpoint}});

  asio::post(impl_->strand,
             [impl = impl_, listeners = std::make_shared<decltype(listeners)>(std::move(listeners))] {
               for (auto& listener : *listeners) {
                 impl->listeners.push_back(std::move(listener));
                 impl->accept(*impl->listeners.back());
               }
               impl->schedule_sweep();
             });
}

std::vector<std::string> Server::local_endpoints() const {
  return impl_->endpoints;
}

void Server::shutdown(std::function<void()> on_drained) {
  asio::post(impl_->strand, [impl = impl_, on_drained = std::move(on_drained)]() mutable {
    impl->close_listeners();
    std::vector<std::shared_ptr<detail::Connection>> connections;
    bool drained_now = false;
    {
      std::lock_guard lock(impl->connections_mutex);
      impl->draining = true;
      impl->draining_flag.store(true, std::memory_order_release);
      if (impl->connections.empty()) {
        drained_now = true;
      } else if (impl->on_drained) {
        // A second shutdown call: both callbacks run.
        impl->on_drained = [first = std::move(impl->on_drained), second = std::move(on_drained)] {
          first();
          if (second) second();
        };
      } else {
        impl->on_drained = std::move(on_drained);
      }
      for (const auto& [raw, weak] : impl->connections) {
        if (auto connection = weak.lock()) connections.push_back(std::move(connection));
      }
    }
    for (auto& connection : connections) {
      asio::post(connection->executor(), [connection] { connection->begin_drain(); });
    }
    if (drained_now) {
      impl->sweep_timer.cancel();
      if (on_drained) on_drained();
    }
  });
}

void Server::abort_connections() {
  for (auto& connection : impl_->snapshot()) {
    asio::post(connection->executor(), [connection] { connection->abort(); });
  }
}

std::size_t Server::active_connections() const {
  std::lock_guard lock(impl_->connections_mutex);
  return impl_->connections.size();
}

}  // namespace va::http
