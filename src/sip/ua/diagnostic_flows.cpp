#include "sip/ua/diagnostic_flows.hpp"

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "common/log.hpp"

namespace va::sip {
namespace {

namespace asio = boost::asio;

enum class Mode { echo, dtmf_echo, ring };

class DiagnosticFlow : public CallHandler {
 public:
  explicit DiagnosticFlow(Mode mode) : mode_(mode) {}

  void start(media::CallLeg& leg, const CallInfo& info) override {
    leg_ = &leg;
    call_id_ = info.call_id;
    if (info.executor) timer_.emplace(info.executor);
    if (mode_ == Mode::ring) {
      log::info("diagnostic flow ringing", {{"call_id", info.call_id}, {"flow", info.flow}});
      after(kRingFlowTimeout, [](media::CallLeg& l) { l.hangup(media::EndReason::no_answer); });
      return;
    }
    log::info("diagnostic flow answering", {{"call_id", info.call_id}, {"flow", info.flow}});
    leg.answer();
  }
  void on_answered() override {}
  void on_audio(const media::AudioFrame& frame) override {
    if (mode_ == Mode::echo && leg_) (void)leg_->send_audio(frame);
  }
  void on_dtmf(const media::DtmfEvent& event) override {
    if (mode_ != Mode::dtmf_echo || !leg_ || hanging_up_) return;
    auto duration = event.duration.count() > 0 ? event.duration : std::chrono::milliseconds(100);
    leg_->send_dtmf(event.digit, duration);
    if (event.digit != '#') return;
    // The echoed '#' takes `duration` plus its three end packets (RFC 4733 §2.5.1.4) to go out; the BYE
    // waits for it so the caller hears (sees) the digit before the call ends.
    hanging_up_ = true;
    log::info("diagnostic flow: '#' ends the call", {{"call_id", call_id_}});
    after(duration + std::chrono::milliseconds(100), [](media::CallLeg& l) { l.hangup(); });
  }
  void on_hold_changed(bool) override {}
  void on_transfer_progress(int, bool) override {}
  void on_ended(const media::CallEnded&) override {
    leg_ = nullptr;
    if (timer_) timer_->cancel();
  }

 private:
  template <typename Action>
  void after(std::chrono::steady_clock::duration delay, Action action) {
    if (!timer_) {
      // No executor (a host that gives none): act at once rather than never.
      if (leg_) action(*leg_);
      return;
    }
    timer_->expires_after(delay);
    timer_->async_wait([weak = std::weak_ptr<int>(alive_), this, action](boost::system::error_code ec) {
      if (ec || weak.expired() || !leg_) return;
      action(*leg_);
    });
  }

  Mode mode_;
  media::CallLeg* leg_ = nullptr;
  std::string call_id_;
  bool hanging_up_ = false;
  std::optional<asio::steady_timer> timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // the timer's completion checks the flow lives
};

}  // namespace

void register_diagnostic_flows(CallHandlerRegistry& registry) {
  registry.add(std::string(kEchoFlow), [] { return std::make_unique<DiagnosticFlow>(Mode::echo); });
  registry.add(std::string(kDtmfEchoFlow), [] { return std::make_unique<DiagnosticFlow>(Mode::dtmf_echo); });
  registry.add(std::string(kRingFlow), [] { return std::make_unique<DiagnosticFlow>(Mode::ring); });
}

}  // namespace va::sip
