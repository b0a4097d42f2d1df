// OPTIONS health probing of a trunk's SIP peer (RFC 3261 §11): every monitoring.trunk_check_interval one
// OPTIONS out of dialog; any final response, whatever its status (200, 404, 405, even 503), proves a SIP
// server is there and answering: reachable, with the round-trip time. No response (Timer F, 32 s over UDP,
// or a network 408) or a transport error (unresolvable name, refused TCP connection) is unreachable.
//
// Probes never overlap: the next one starts `interval` after the previous one started, or at once when the
// previous one took longer than that.
//
// What is probed (trunk_probe_target): a register trunk's outbound_proxy when set, else its registrar and
// port; a static-IP trunk's first allowed address written without a prefix length ("80.75.130.99") on the
// default port of its transport; CIDR entries ("80.75.130.0/24", also "127.0.0.1/32") are source filters
// only, so a static-IP trunk listing nothing else is "not probed".
//
// Threading: runs on the transaction layer's strand; the result callback too.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/config.hpp"
#include "sip/flow.hpp"
#include "sip/transaction_layer.hpp"

namespace va::sip {

struct TrunkProbeTarget {
  std::string host;  // name or IP literal (IPv6 without brackets)
  std::uint16_t port = 5060;
  TransportKind transport = TransportKind::udp;
};

TransportKind trunk_transport(const config::Trunk& trunk);
// nullopt: nothing to probe (see the header comment); `why_not` then says why.
std::optional<TrunkProbeTarget> trunk_probe_target(const config::Trunk& trunk,
                                                   std::string* why_not = nullptr);

struct TrunkProbeResult {
  bool reachable = false;
  int status = 0;                               // the final response's status (synthetic 408/503 included)
  std::string reason;                           // "200 OK", "timeout: no response", "transport error: ..."
  std::chrono::duration<double> round_trip{0};  // reachable: request sent → final response
};

class TrunkProbeSession;

class TrunkProber {
 public:
  using ResultHandler = std::function<void(const TrunkProbeResult& result)>;

  TrunkProber(TransactionLayer& layer, std::string trunk, TrunkProbeTarget target,
              std::chrono::milliseconds interval, ResultHandler on_result);
  ~TrunkProber();  // stop()
  TrunkProber(const TrunkProber&) = delete;
  TrunkProber& operator=(const TrunkProber&) = delete;

  void start();  // the first probe at once
  void stop();   // no more probes or callbacks

 private:
  std::shared_ptr<TrunkProbeSession> session_;
};

}  // namespace va::sip
