#include "engines/vad/webrtc_vad.hpp"

#include <cstddef>
#include <cstdint>

// libwebrtc-audio-processing 0.3 exports the VAD's C API but installs no header for it; these are its
// prototypes (webrtc/common_audio/vad/include/webrtc_vad.h of that release).
extern "C" {
struct WebRtcVadInst;
WebRtcVadInst* WebRtcVad_Create();
void WebRtcVad_Free(WebRtcVadInst* handle);
int WebRtcVad_Init(WebRtcVadInst* handle);
int WebRtcVad_set_mode(WebRtcVadInst* handle, int mode);
int WebRtcVad_Process(WebRtcVadInst* handle, int fs, const std::int16_t* audio_frame,
                      std::size_t frame_length);
}

namespace va::engines {
namespace {

struct VadDeleter {
  void operator()(WebRtcVadInst* handle) const { WebRtcVad_Free(handle); }
};
using VadHandle = std::unique_ptr<WebRtcVadInst, VadDeleter>;

class WebRtcVad final : public voice::VoiceActivityDetector {
 public:
  WebRtcVad(VadHandle handle, int mode) : handle_(std::move(handle)), mode_(mode) {}

  std::string_view name() const override { return "webrtc"; }

  bool is_speech(const media::AudioFrame& frame) override {
    // 20 ms at 16 kHz is one of the frame shapes it takes (10/20/30 ms at 8/16/32/48 kHz); -1 cannot happen
    // for it, and counts as no speech if it did.
    return WebRtcVad_Process(handle_.get(), media::kPipelineSampleRate, frame.samples.data(),
                             frame.samples.size()) == 1;
  }

  void reset() override {
    WebRtcVad_Init(handle_.get());
    WebRtcVad_set_mode(handle_.get(), mode_);
  }

 private:
  VadHandle handle_;
  int mode_;
};

}  // namespace

Result<std::unique_ptr<voice::VoiceActivityDetector>, std::string> make_webrtc_vad(
    WebRtcVadSettings settings) {
  if (settings.aggressiveness < 0 || settings.aggressiveness > 3)
    return std::string("webrtc vad: aggressiveness must be 0..3, got " +
                       std::to_string(settings.aggressiveness));
  VadHandle handle(WebRtcVad_Create());
  if (!handle || WebRtcVad_Init(handle.get()) != 0)
    return std::string("webrtc vad: cannot create a detector (libwebrtc_audio_processing)");
  if (WebRtcVad_set_mode(handle.get(), settings.aggressiveness) != 0)
    return std::string("webrtc vad: mode " + std::to_string(settings.aggressiveness) + " refused");
  std::unique_ptr<voice::VoiceActivityDetector> vad =
      std::make_unique<WebRtcVad>(std::move(handle), settings.aggressiveness);
  return vad;
}

}  // namespace va::engines
