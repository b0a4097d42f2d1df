// Silero VAD v5 (MIT; a 2.3 MB ONNX model) on ONNX Runtime's C API: the accurate VAD option. A small
// recurrent network that scores each 32 ms window (512 samples at 16 kHz, plus 64 samples of the previous
// window as context) with a speech probability; it keeps telling speech from noise where the WebRTC GMM
// detector gives up (docs/engines.md, docs/benchmarks.md "VAD").
//
// The ONNX Runtime library is loaded with dlopen() from the path scripts/setup installs it to (it ships in
// an npm package without a development symlink, and a missing library must make this engine unavailable,
// not stop the binary from starting). One loaded model (library, environment, session) is shared by every
// detector; OrtApi::Run is thread-safe, and each detector owns its recurrent state and tensors.
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "voice/voice_activity.hpp"

namespace va::engines {

struct SileroVadSettings {
  std::string model;    // the .onnx file; empty: default_silero_model()
  std::string library;  // libonnxruntime.so.1; empty: default_onnxruntime_library()
  // A window at or above `threshold` starts speech; speech goes on until a window falls below
  // threshold - hysteresis (Silero's own VADIterator uses 0.5 and 0.15), so a syllable's dip does not cut it.
  float threshold = 0.5f;
  float hysteresis = 0.15f;
};

// Where scripts/setup installs them (CMake's VA_SILERO_MODEL and VA_ONNXRUNTIME_LIBRARY).
std::string default_silero_model();
std::string default_onnxruntime_library();

// The loaded library, environment and session, shared by the detectors made from it.
class SileroVadModel;

// Loads the library and the model and runs it once on silence (a wrong model file fails here, not on the
// first call). Errors name the file and scripts/setup.
Result<std::shared_ptr<SileroVadModel>, std::string> load_silero_vad_model(const SileroVadSettings& settings);

// A detector of its own stream state over the shared model; fails only if ONNX Runtime cannot wrap its
// buffers. The settings' thresholds must be within 0..1.
Result<std::unique_ptr<voice::VoiceActivityDetector>, std::string> make_silero_vad(
    std::shared_ptr<SileroVadModel> model, const SileroVadSettings& settings = {});

// The registry's factory: settings.model (empty: the default) is the .onnx file.
Result<VadMaker, voice::EngineError> make_silero_vad_maker(const EngineSettings& settings);

// Available when built with ONNX Runtime's header, the library loads and the model file exists; does not
// create a session.
EngineStatus silero_status();

}  // namespace va::engines
