#include "engines/vad/silero_vad.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <utility>

#ifdef VA_HAVE_SILERO
#include <dlfcn.h>
#include <onnxruntime_c_api.h>
#endif

namespace va::engines {
namespace {

constexpr std::string_view kEngine = "silero";

const voice::EngineCapabilities& silero_capabilities() {
  // The model takes 8 and 16 kHz; the pipeline gives it 16 kHz frames (8 kHz legs arrive upsampled).
  static const voice::EngineCapabilities capabilities{{}, {8000, 16000}, true};
  return capabilities;
}

}  // namespace

std::string default_silero_model() {
  return VA_SILERO_MODEL;
}
std::string default_onnxruntime_library() {
  return VA_ONNXRUNTIME_LIBRARY;
}

Result<VadMaker, voice::EngineError> make_silero_vad_maker(const EngineSettings& settings) {
  SileroVadSettings silero;
  silero.model = settings.model;
  auto model = load_silero_vad_model(silero);
  if (!model) return voice::EngineError{std::string(kEngine), model.error()};
  return VadMaker([model = std::move(*model), silero] {
    auto vad = make_silero_vad(model, silero);
    return vad ? std::move(*vad) : nullptr;
  });
}

#ifndef VA_HAVE_SILERO

class SileroVadModel {};

Result<std::shared_ptr<SileroVadModel>, std::string> load_silero_vad_model(const SileroVadSettings&) {
  return std::string(
      "silero vad: built without ONNX Runtime's header (run scripts/setup, then re-run cmake)");
}

Result<std::unique_ptr<voice::VoiceActivityDetector>, std::string> make_silero_vad(
    std::shared_ptr<SileroVadModel>, const SileroVadSettings&) {
  return std::string("silero vad: built without ONNX Runtime");
}

EngineStatus silero_status() {
  return {std::string(kEngine),
          EngineKind::vad,
          false,
          "built without ONNX Runtime's header (run scripts/setup, then re-run cmake)",
          silero_capabilities(),
          {}};
}

#else

namespace {

constexpr std::int64_t kSampleRate = 16000;
constexpr std::size_t kWindow = 512;  // samples per model run at 16 kHz (Silero v5 takes exactly this)
constexpr std::size_t kContext = 64;  // the previous window's tail, prepended to each window
// Silero's probability rises over its first window or two of speech, so the window that crosses the
// threshold is often the word's second (RHVoice's "Оператора, пожалуйста." through an A-law call: the
// crossing window starts 40 ms after WebRTC's first speech frame). Like the speech_pad_ms (30 ms) of
// Silero's own utilities, speech that starts is counted from this much before the crossing window.
constexpr std::size_t kOnsetPad = 480;  // 30 ms
constexpr std::size_t kStateSize = 2 * 1 * 128;
constexpr std::array<std::int64_t, 2> kInputShape{1, kContext + kWindow};
constexpr std::array<std::int64_t, 3> kStateShape{2, 1, 128};
constexpr std::array<std::int64_t, 2> kOutputShape{1, 1};
constexpr std::array<const char*, 3> kInputNames{"input", "state", "sr"};
constexpr std::array<const char*, 2> kOutputNames{"output", "stateN"};

std::string missing_files(const std::string& library, const std::string& model) {
  std::string missing;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(library, ec)) missing = "ONNX Runtime library " + library;
  if (!std::filesystem::is_regular_file(model, ec))
    missing += (missing.empty() ? "" : " and ") + ("model " + model);
  return missing.empty() ? "" : "silero vad: missing " + missing + " (run scripts/setup)";
}

// Every ORT object released by its own Release function; the deleter carries the API table.
struct OrtReleaser {
  const OrtApi* api = nullptr;
  void operator()(OrtEnv* p) const { api->ReleaseEnv(p); }
  void operator()(OrtSessionOptions* p) const { api->ReleaseSessionOptions(p); }
  void operator()(OrtSession* p) const { api->ReleaseSession(p); }
  void operator()(OrtMemoryInfo* p) const { api->ReleaseMemoryInfo(p); }
  void operator()(OrtValue* p) const { api->ReleaseValue(p); }
};
template <typename T>
using OrtPtr = std::unique_ptr<T, OrtReleaser>;

struct LibraryCloser {
  void operator()(void* handle) const { dlclose(handle); }
};
using LibraryHandle = std::unique_ptr<void, LibraryCloser>;

// The message of a failed call (and the status freed); empty on success.
std::string error_of(const OrtApi* api, OrtStatus* status) {
  if (status == nullptr) return {};
  std::string message = api->GetErrorMessage(status);
  api->ReleaseStatus(status);
  return message.empty() ? "unknown ONNX Runtime error" : message;
}

struct LoadedLibrary {
  LibraryHandle handle;
  const OrtApi* api = nullptr;
  std::string version;
};

Result<LoadedLibrary, std::string> load_library(const std::string& path) {
  // RTLD_NODELETE: ONNX Runtime keeps thread-local and static state that must outlive dlclose().
  LibraryHandle handle(dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE));
  if (!handle) {
    const char* why = dlerror();
    return "silero vad: cannot load ONNX Runtime " + path + ": " + (why ? why : "dlopen failed") +
           " (run scripts/setup)";
  }
  using GetApiBase = const OrtApiBase* (*)();
  auto get_api_base = reinterpret_cast<GetApiBase>(dlsym(handle.get(), "OrtGetApiBase"));
  const OrtApiBase* base = get_api_base ? get_api_base() : nullptr;
  // The library may be newer than the header (the C API is append-only): ask for the header's version.
  const OrtApi* api = base ? base->GetApi(ORT_API_VERSION) : nullptr;
  if (api == nullptr)
    return "silero vad: " + path + " is not an ONNX Runtime with C API version " +
           std::to_string(ORT_API_VERSION) + " (version " + (base ? base->GetVersionString() : "unknown") +
           ")";
  return LoadedLibrary{std::move(handle), api, base->GetVersionString()};
}

}  // namespace

class SileroVadModel {
 public:
  SileroVadModel(LoadedLibrary library, OrtPtr<OrtEnv> env, OrtPtr<OrtSession> session,
                 OrtPtr<OrtMemoryInfo> memory)
      : library_(std::move(library)),
        env_(std::move(env)),
        session_(std::move(session)),
        memory_(std::move(memory)) {}
  SileroVadModel(const SileroVadModel&) = delete;
  SileroVadModel& operator=(const SileroVadModel&) = delete;
  // Members are released in reverse order: the session and environment before the library handle.

  const OrtApi* api() const { return library_.api; }
  OrtSession* session() const { return session_.get(); }
  const OrtMemoryInfo* memory() const { return memory_.get(); }

 private:
  LoadedLibrary library_;
  OrtPtr<OrtEnv> env_;
  OrtPtr<OrtSession> session_;
  OrtPtr<OrtMemoryInfo> memory_;
};

namespace {

class SileroVad final : public voice::VoiceActivityDetector {
 public:
  SileroVad(std::shared_ptr<SileroVadModel> model, const SileroVadSettings& settings)
      : model_(std::move(model)),
        api_(model_->api()),
        on_threshold_(settings.threshold),
        off_threshold_(std::max(0.0f, settings.threshold - settings.hysteresis)),
        input_(nullptr, {api_}),
        state_(nullptr, {api_}),
        sample_rate_(nullptr, {api_}),
        output_(nullptr, {api_}),
        state_out_(nullptr, {api_}) {}

  // Wraps the member buffers in tensors once: is_speech() then runs the model without allocating.
  std::string bind() {
    auto tensor = [&](OrtPtr<OrtValue>& value, void* data, std::size_t bytes, const std::int64_t* shape,
                      std::size_t rank, ONNXTensorElementDataType type) {
      OrtValue* made = nullptr;
      auto error = error_of(api_, api_->CreateTensorWithDataAsOrtValue(model_->memory(), data, bytes, shape,
                                                                       rank, type, &made));
      value.reset(made);
      return error;
    };
    constexpr auto kFloat = ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT;
    for (auto error : {tensor(input_, input_buffer_.data(), sizeof input_buffer_, kInputShape.data(),
                              kInputShape.size(), kFloat),
                       tensor(state_, state_buffer_.data(), sizeof state_buffer_, kStateShape.data(),
                              kStateShape.size(), kFloat),
                       tensor(sample_rate_, &sample_rate_value_, sizeof sample_rate_value_, nullptr, 0,
                              ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64),
                       tensor(output_, &probability_out_, sizeof probability_out_, kOutputShape.data(),
                              kOutputShape.size(), kFloat),
                       tensor(state_out_, state_out_buffer_.data(), sizeof state_out_buffer_,
                              kStateShape.data(), kStateShape.size(), kFloat)})
      if (!error.empty()) return "silero vad: cannot create a tensor: " + error;
    return {};
  }

  std::string_view name() const override { return kEngine; }

  bool is_speech(const media::AudioFrame& frame) override {
    // Frames (320 samples) and windows (512) do not align: samples wait in `pending_` until a window is
    // full; frames in between keep the last window's probability.
    window_ran_ = false;
    started_ = false;
    for (auto sample : frame.samples) {
      pending_[pending_count_++] = static_cast<float>(sample) / 32768.0f;
      if (pending_count_ == kWindow) {
        run_window();
        pending_count_ = 0;
        window_ran_ = true;
      }
    }
    if (speaking_ ? probability_ < off_threshold_ : probability_ >= on_threshold_) {
      speaking_ = !speaking_;
      started_ = speaking_;
    }
    return speaking_;
  }

  // A window that ran during the last frame (the only time the decision changes) ended `pending_count_`
  // samples before that frame's end and began kWindow samples earlier: 12-32 ms before the frame; speech
  // that starts with it reaches kOnsetPad further back.
  media::SampleTime decision_lookback() const override {
    if (!window_ran_) return media::SampleTime{0};
    return media::SampleTime{
        static_cast<std::int64_t>(kWindow + pending_count_ + (started_ ? kOnsetPad : 0)) -
        static_cast<std::int64_t>(media::kFrameSamples)};
  }

  void reset() override {
    input_buffer_.fill(0);
    state_buffer_.fill(0);
    pending_count_ = 0;
    window_ran_ = false;
    started_ = false;
    probability_ = 0;
    speaking_ = false;
  }

  // Last window's speech probability (for tests and tuning).
  float probability() const { return probability_; }

  // Runs one window of silence (load-time check of the model's inputs and outputs).
  std::string check() {
    reset();
    auto error = run();
    reset();
    return error;
  }

 private:
  std::string run() {
    const OrtValue* inputs[] = {input_.get(), state_.get(), sample_rate_.get()};
    OrtValue* outputs[] = {output_.get(), state_out_.get()};
    return error_of(api_, api_->Run(model_->session(), nullptr, kInputNames.data(), inputs,
                                    kInputNames.size(), kOutputNames.data(), kOutputNames.size(), outputs));
  }

  void run_window() {
    // input = [context (the previous window's last 64 samples) | this window]
    std::copy_n(input_buffer_.end() - kContext, kContext, input_buffer_.begin());
    std::copy_n(pending_.begin(), kWindow, input_buffer_.begin() + kContext);
    if (run().empty()) {
      probability_ = probability_out_;
      state_buffer_ = state_out_buffer_;
    } else {
      // Cannot happen with the model checked at load; if it did, no speech and a fresh state.
      probability_ = 0;
      state_buffer_.fill(0);
    }
  }

  std::shared_ptr<SileroVadModel> model_;
  const OrtApi* api_;
  float on_threshold_;
  float off_threshold_;
  std::array<float, kContext + kWindow> input_buffer_{};
  std::array<float, kStateSize> state_buffer_{};
  std::array<float, kStateSize> state_out_buffer_{};
  std::int64_t sample_rate_value_ = kSampleRate;
  float probability_out_ = 0;
  std::array<float, kWindow> pending_{};
  std::size_t pending_count_ = 0;
  bool window_ran_ = false;  // during the last is_speech()
  bool started_ = false;     // the last is_speech() started speech
  float probability_ = 0;
  bool speaking_ = false;
  OrtPtr<OrtValue> input_, state_, sample_rate_, output_, state_out_;
};

Result<std::unique_ptr<SileroVad>, std::string> make_detector(std::shared_ptr<SileroVadModel> model,
                                                              const SileroVadSettings& settings) {
  if (!model) return std::string("silero vad: no model");
  if (!(settings.threshold > 0 && settings.threshold < 1) ||
      !(settings.hysteresis >= 0 && settings.hysteresis < 1))
    return std::string("silero vad: threshold must be within (0, 1) and hysteresis within [0, 1)");
  auto vad = std::make_unique<SileroVad>(std::move(model), settings);
  if (auto error = vad->bind(); !error.empty()) return error;
  return vad;
}

}  // namespace

Result<std::shared_ptr<SileroVadModel>, std::string> load_silero_vad_model(
    const SileroVadSettings& settings) {
  const auto library_path = settings.library.empty() ? default_onnxruntime_library() : settings.library;
  const auto model_path = settings.model.empty() ? default_silero_model() : settings.model;
  if (auto missing = missing_files(library_path, model_path); !missing.empty()) return missing;
  auto library = load_library(library_path);
  if (!library) return library.error();
  const OrtApi* api = library->api;
  OrtReleaser releaser{api};

  OrtEnv* env_raw = nullptr;
  if (auto error = error_of(api, api->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "voice-agent-silero", &env_raw));
      !error.empty())
    return "silero vad: cannot create the ONNX Runtime environment: " + error;
  OrtPtr<OrtEnv> env(env_raw, releaser);

  OrtSessionOptions* options_raw = nullptr;
  if (auto error = error_of(api, api->CreateSessionOptions(&options_raw)); !error.empty())
    return "silero vad: " + error;
  OrtPtr<OrtSessionOptions> options(options_raw, releaser);
  // One thread per run: a window costs ~0.1 ms, and a call's detector runs on that call's thread; a pool
  // per session would only add threads spinning against the media path (2 cores shared with other calls).
  for (auto* status :
       {api->SetIntraOpNumThreads(options.get(), 1), api->SetInterOpNumThreads(options.get(), 1),
        api->SetSessionExecutionMode(options.get(), ORT_SEQUENTIAL),
        api->SetSessionGraphOptimizationLevel(options.get(), ORT_ENABLE_ALL)})
    if (auto error = error_of(api, status); !error.empty()) return "silero vad: session options: " + error;

  OrtSession* session_raw = nullptr;
  if (auto error =
          error_of(api, api->CreateSession(env.get(), model_path.c_str(), options.get(), &session_raw));
      !error.empty())
    return "silero vad: cannot load the model " + model_path + ": " + error;
  OrtPtr<OrtSession> session(session_raw, releaser);

  OrtMemoryInfo* memory_raw = nullptr;
  if (auto error = error_of(api, api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memory_raw));
      !error.empty())
    return "silero vad: " + error;
  OrtPtr<OrtMemoryInfo> memory(memory_raw, releaser);

  auto model = std::make_shared<SileroVadModel>(std::move(*library), std::move(env), std::move(session),
                                                std::move(memory));
  auto probe = make_detector(model, {});
  if (!probe) return probe.error();
  if (auto error = (*probe)->check(); !error.empty())
    return "silero vad: " + model_path + " is not a Silero VAD v5 model: " + error;
  return model;
}

Result<std::unique_ptr<voice::VoiceActivityDetector>, std::string> make_silero_vad(
    std::shared_ptr<SileroVadModel> model, const SileroVadSettings& settings) {
  auto vad = make_detector(std::move(model), settings);
  if (!vad) return vad.error();
  std::unique_ptr<voice::VoiceActivityDetector> detector = std::move(*vad);
  return detector;
}

EngineStatus silero_status() {
  EngineStatus status{std::string(kEngine), EngineKind::vad, false, {}, silero_capabilities(), {}};
  const auto library_path = default_onnxruntime_library();
  const auto model_path = default_silero_model();
  if (auto missing = missing_files(library_path, model_path); !missing.empty()) {
    status.detail = missing;
    return status;
  }
  auto library = load_library(library_path);
  if (!library) {
    status.detail = library.error();
    return status;
  }
  status.available = true;
  status.detail = "Silero VAD v5 (" + model_path + ") on ONNX Runtime " + library->version;
  return status;
}

#endif

}  // namespace va::engines
