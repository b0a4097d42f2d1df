// The admin API's hands on live calls (calls::CallControl): every recorded call registers its leg here
// while it lasts (RecordedCall, call_records.cpp), so a hang-up or transfer asked over HTTP reaches the call
// on its own thread; outbound calls are placed through the SIP user agent with the trunks of the config.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "calls/call_control.hpp"
#include "common/config.hpp"
#include "media/call_leg.hpp"

namespace va::sip {
class UserAgent;
}

namespace va::app {

class LiveCallControl final : public calls::CallControl {
 public:
  // A live call's handle. Touched only on the call's own thread (attach, answered, detach and what
  // hang_up/transfer post there), so a request that arrives as the call ends finds `leg` null, never
  // dangling.
  struct Slot {
    media::CallLeg* leg = nullptr;
    bool answered = false;
  };

  explicit LiveCallControl(const config::Config& cfg);

  // From RecordedCall, on the call's thread.
  std::shared_ptr<Slot> attach(const std::string& call_id, boost::asio::any_io_executor executor,
                               media::CallLeg& leg);
  void detach(const std::string& call_id, const std::shared_ptr<Slot>& slot);

  // serve: the SIP endpoint once it listens (null: none), and the start of the drain.
  void set_sip(sip::UserAgent* user_agent);
  void set_draining();

  calls::ControlStatus hang_up(const std::string& call_id) override;
  calls::ControlStatus transfer(const std::string& call_id, const std::string& target) override;
  Result<calls::Originated, calls::ControlError> originate(const calls::OriginateRequest& request) override;

 private:
  struct Live {
    boost::asio::any_io_executor executor;
    std::shared_ptr<Slot> slot;
  };
  std::optional<Live> find(const std::string& call_id);

  const config::Config& cfg_;
  std::mutex mutex_;
  std::map<std::string, Live> live_;
  sip::UserAgent* user_agent_ = nullptr;
  bool draining_ = false;
};

// Where a call to `to` goes: the request of an outbound call through `trunk` (a sip:/sips: URI goes straight
// to that URI). The error names what is missing or wrong.
struct OutboundTarget {
  std::string uri;
  std::string from;
  std::string trunk;
  std::string outbound_proxy;
  std::string username;  // digest credentials (register trunks)
  std::string password;
};
Result<OutboundTarget, std::string> outbound_target(const config::Config& cfg, const std::string& to,
                                                    const std::string& trunk_name, const std::string& from);

}  // namespace va::app
