#include "sip/diagnostic_flows.hpp"

#include "common/log.hpp"

namespace va::sip {
namespace {

class DiagnosticFlow : public CallHandler {
 public:
  explicit DiagnosticFlow(bool echo_audio) : echo_audio_(echo_audio) {}

  void start(media::CallLeg& leg, const InboundCallInfo& info) override {
    leg_ = &leg;
    log::info("diagnostic flow answering", {{"call_id", info.call_id}, {"flow", info.flow}});
    leg.answer();
  }
  void on_answered() override {}
  void on_audio(const media::AudioFrame& frame) override {
    if (echo_audio_ && leg_) (void)leg_->send_audio(frame);
  }
  void on_dtmf(const media::DtmfEvent& event) override {
    if (!echo_audio_ && leg_)
      leg_->send_dtmf(event.digit,
                      event.duration.count() > 0 ? event.duration : std::chrono::milliseconds(100));
  }
  void on_hold_changed(bool) override {}
  void on_transfer_progress(int, bool) override {}
  void on_ended(const media::CallEnded&) override { leg_ = nullptr; }

 private:
  bool echo_audio_;
  media::CallLeg* leg_ = nullptr;
};

}  // namespace

void register_diagnostic_flows(CallHandlerRegistry& registry) {
  registry.add(std::string(kEchoFlow), [] { return std::make_unique<DiagnosticFlow>(true); });
  registry.add(std::string(kDtmfEchoFlow), [] { return std::make_unique<DiagnosticFlow>(false); });
}

}  // namespace va::sip
