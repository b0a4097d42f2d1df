#include "sip/trunk/trunk_prober.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <utility>

#include "common/log.hpp"
#include "sip/identifiers.hpp"
#include "sip/trunk/trunk_address_range.hpp"
#include "sip/trunk/trunk_uri.hpp"

namespace va::sip {

namespace asio = boost::asio;

TransportKind trunk_transport(const config::Trunk& trunk) {
  switch (trunk.transport) {
    case config::Transport::udp:
      return TransportKind::udp;
    case config::Transport::tcp:
      return TransportKind::tcp;
    case config::Transport::tls:
      return TransportKind::tls;
  }
  return TransportKind::udp;
}

std::optional<TrunkProbeTarget> trunk_probe_target(const config::Trunk& trunk, std::string* why_not) {
  const auto transport = trunk_transport(trunk);
  if (trunk.mode == config::TrunkMode::register_) {
    if (!trunk.outbound_proxy.empty()) {
      if (auto proxy = parse_trunk_host_port(trunk.outbound_proxy, transport))
        return TrunkProbeTarget{proxy->host, *proxy->port, transport};
      if (why_not) *why_not = "outbound_proxy '" + trunk.outbound_proxy + "' is not host:port";
      return std::nullopt;
    }
    auto port = trunk.port > 0 ? static_cast<std::uint16_t>(trunk.port) : default_port(transport);
    return TrunkProbeTarget{trunk.registrar, port, transport};
  }
  for (const auto& entry : trunk.allowed_addresses) {
    auto range = AddressRange::parse(entry);
    if (range && range->written_as_host())
      return TrunkProbeTarget{range->network().to_string(), default_port(transport), transport};
  }
  if (why_not) *why_not = "not probed: allowed_addresses has no single address, only CIDR blocks";
  return std::nullopt;
}

class TrunkProbeSession : public std::enable_shared_from_this<TrunkProbeSession> {
 public:
  TrunkProbeSession(TransactionLayer& layer, std::string trunk, TrunkProbeTarget target,
                    std::chrono::milliseconds interval, TrunkProber::ResultHandler on_result)
      : layer_(layer),
        trunk_(std::move(trunk)),
        target_(std::move(target)),
        interval_(interval),
        on_result_(std::move(on_result)),
        timer_(layer.strand()) {}

  void start() {
    asio::post(timer_.get_executor(), [self = shared_from_this()] {
      if (!self->stopped_) self->probe();
    });
  }

  void stop() {
    asio::post(timer_.get_executor(), [self = shared_from_this()] {
      self->stopped_ = true;
      self->timer_.cancel();
    });
  }

 private:
  void probe() {
    started_ = std::chrono::steady_clock::now();
    auto uri = trunk_uri("", target_.host, target_.port, target_.transport);
    auto request = Message::request("OPTIONS", uri);
    auto domain =
        trunk_uri("voice-agent", target_.host, default_port(TransportKind::udp), TransportKind::udp);
    request.add_header("From", "<" + domain.to_string() + ">;tag=" + generate_tag());
    request.add_header("To", "<" + uri.to_string() + ">");
    request.add_header("Call-ID", generate_call_id());
    request.add_header("CSeq", "1 OPTIONS");
    request.add_header("Accept", "application/sdp");
    request.add_header("User-Agent", "voice-agent");
    layer_.send_request(std::move(request),
                        [self = shared_from_this()](const ClientResponse& r) { self->on_response(r); });
  }

  void on_response(const ClientResponse& response) {
    if (stopped_ || response.message.status() < 200) return;
    TrunkProbeResult result;
    result.status = response.message.status();
    switch (response.source) {
      case ResponseSource::network:
        // A 408 from the peer (or from a proxy in front of it) means the server behind did not answer.
        result.reachable = result.status != 408;
        result.reason = std::to_string(result.status) + " " + std::string(response.message.reason());
        break;
      case ResponseSource::timeout:
        result.reason = "timeout: no response";
        break;
      case ResponseSource::transport_error:
        result.reason = "transport error: cannot resolve or reach " + target_.host;
        break;
    }
    auto elapsed = std::chrono::steady_clock::now() - started_;
    if (result.reachable) result.round_trip = elapsed;
    log::debug("sip trunk probe answered", {{"trunk", trunk_},
                                            {"target", target_.host + ":" + std::to_string(target_.port)},
                                            {"reachable", result.reachable},
                                            {"reason", result.reason}});
    if (on_result_) on_result_(result);
    auto wait = interval_ - std::chrono::duration_cast<std::chrono::milliseconds>(elapsed);
    timer_.expires_after(wait.count() > 0 ? wait : std::chrono::milliseconds(0));
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->stopped_) self->probe();
    });
  }

  TransactionLayer& layer_;
  std::string trunk_;
  TrunkProbeTarget target_;
  std::chrono::milliseconds interval_;
  TrunkProber::ResultHandler on_result_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point started_{};
  bool stopped_ = false;
};

TrunkProber::TrunkProber(TransactionLayer& layer, std::string trunk, TrunkProbeTarget target,
                         std::chrono::milliseconds interval, ResultHandler on_result)
    : session_(std::make_shared<TrunkProbeSession>(layer, std::move(trunk), std::move(target), interval,
                                                   std::move(on_result))) {}

TrunkProber::~TrunkProber() {
  stop();
}

void TrunkProber::start() {
  session_->start();
}

void TrunkProber::stop() {
  session_->stop();
}

}  // namespace va::sip
