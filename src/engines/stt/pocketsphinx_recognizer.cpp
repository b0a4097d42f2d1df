#include "engines/stt/pocketsphinx_recognizer.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#ifdef VA_HAVE_POCKETSPHINX
#include <pocketsphinx.h>
#endif

namespace va::engines {
namespace {

constexpr std::string_view kEngine = "pocketsphinx";
const voice::EngineCapabilities& pocketsphinx_capabilities() {
  static const voice::EngineCapabilities capabilities{{"en"}, {16000}, true};
  return capabilities;
}

}  // namespace

#ifdef VA_HAVE_POCKETSPHINX
namespace {

// The audio is fed in 100 ms pieces, as a call's media would arrive, and the hypothesis read after each:
// that is what makes the partials.
constexpr std::size_t kChunkSamples = 1600;
constexpr std::size_t kMaxIdleDecoders = 4;

struct ConfigDeleter {
  void operator()(cmd_ln_t* config) const { cmd_ln_free_r(config); }
};
struct DecoderDeleter {
  void operator()(ps_decoder_t* ps) const { ps_free(ps); }
};
using ConfigHandle = std::unique_ptr<cmd_ln_t, ConfigDeleter>;
using DecoderHandle = std::unique_ptr<ps_decoder_t, DecoderDeleter>;

struct ModelFiles {
  std::string hmm, lm, dict;
};

ModelFiles model_files(const std::string& dir) {
  return {dir + "/en-us/en-us", dir + "/en-us/en-us.lm.bin", dir + "/en-us/cmudict-en-us.dict"};
}

// The first missing model file, or empty.
std::string missing_model_file(const ModelFiles& files) {
  std::error_code ec;
  if (!std::filesystem::is_directory(files.hmm, ec)) return files.hmm;
  for (const auto& f : {files.lm, files.dict})
    if (!std::filesystem::is_regular_file(f, ec)) return f;
  return {};
}

std::string missing_model_message(const std::string& file) {
  return "model file " + file + " not found: install the Debian package pocketsphinx-en-us (scripts/setup)";
}

DecoderHandle make_decoder(const ModelFiles& files) {
  // -logfn: PocketSphinx logs every load step and utterance to stderr otherwise.
  ConfigHandle config(cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", files.hmm.c_str(), "-lm",
                                  files.lm.c_str(), "-dict", files.dict.c_str(), "-logfn", "/dev/null",
                                  nullptr));
  if (!config) return nullptr;
  // ps_init takes its own reference to the configuration.
  return DecoderHandle(ps_init(config.get()));
}

// A decoder is not thread-safe; each concurrent recognition borrows one (the model loads in ~0.8 s, so
// they are kept for reuse).
class PocketSphinxRecognizer final : public voice::SpeechRecognizer {
 public:
  PocketSphinxRecognizer(ModelFiles files, DecoderHandle first) : files_(std::move(files)) {
    idle_.push_back(std::move(first));
  }

  std::string_view name() const override { return kEngine; }
  const voice::EngineCapabilities& capabilities() const override { return pocketsphinx_capabilities(); }

  Result<voice::Recognition, voice::EngineError> recognize(
      std::span<const std::int16_t> pcm, std::string_view language,
      const std::function<void(std::string_view)>& on_partial) override {
    if (language != "en")
      return voice::EngineError{std::string(kEngine), "unknown language \"" + std::string(language) +
                                                          "\": the PocketSphinx model is US English only"};
    auto ps = acquire();
    if (!ps) return voice::EngineError{std::string(kEngine), "cannot create a decoder (out of memory?)"};
    if (ps_start_utt(ps.get()) < 0) {
      release(std::move(ps));
      return voice::EngineError{std::string(kEngine), "cannot start an utterance"};
    }
    std::string partial;
    for (std::size_t at = 0; at < pcm.size(); at += kChunkSamples) {
      const auto piece = pcm.subspan(at, std::min(kChunkSamples, pcm.size() - at));
      if (ps_process_raw(ps.get(), piece.data(), piece.size(), FALSE, FALSE) < 0) {
        ps_end_utt(ps.get());
        release(std::move(ps));
        return voice::EngineError{std::string(kEngine), "decoding failed"};
      }
      if (!on_partial) continue;
      int32 score = 0;
      const char* hyp = ps_get_hyp(ps.get(), &score);
      if (hyp && *hyp && partial != hyp) {
        partial = hyp;
        on_partial(partial);
      }
    }
    ps_end_utt(ps.get());
    int32 score = 0;
    const char* hyp = ps_get_hyp(ps.get(), &score);
    voice::Recognition result{hyp ? std::string(hyp) : std::string(), "en"};
    release(std::move(ps));
    return result;
  }

 private:
  DecoderHandle acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        auto ps = std::move(idle_.back());
        idle_.pop_back();
        return ps;
      }
    }
    return make_decoder(files_);
  }
  void release(DecoderHandle ps) {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdleDecoders) idle_.push_back(std::move(ps));
  }

 private:
  ModelFiles files_;
  std::mutex mutex_;
  std::vector<DecoderHandle> idle_;
};

}  // namespace

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_pocketsphinx_recognizer(
    const EngineSettings& settings) {
  const auto files =
      model_files(settings.model.empty() ? std::string(VA_POCKETSPHINX_MODEL_DIR) : settings.model);
  if (auto missing = missing_model_file(files); !missing.empty())
    return voice::EngineError{std::string(kEngine), missing_model_message(missing)};
  auto first = make_decoder(files);
  if (!first)
    return voice::EngineError{std::string(kEngine), "cannot load the model in " + files.hmm +
                                                        " (damaged? reinstall pocketsphinx-en-us)"};
  std::shared_ptr<voice::SpeechRecognizer> recognizer =
      std::make_shared<PocketSphinxRecognizer>(files, std::move(first));
  return recognizer;
}

EngineStatus pocketsphinx_status() {
  EngineStatus status{std::string(kEngine), EngineKind::stt, false, {}, pocketsphinx_capabilities(), {}};
  const auto missing = missing_model_file(model_files(VA_POCKETSPHINX_MODEL_DIR));
  status.available = missing.empty();
  status.detail = status.available ? std::string("PocketSphinx 5prealpha, US English model in ") +
                                         VA_POCKETSPHINX_MODEL_DIR + " (16 kHz only)"
                                   : missing_model_message(missing);
  return status;
}

#else  // built without PocketSphinx

namespace {
constexpr const char* kNoLibrary =
    "this build has no PocketSphinx: install libpocketsphinx-dev and pocketsphinx-en-us (scripts/setup), "
    "then "
    "configure again";
}  // namespace

Result<std::shared_ptr<voice::SpeechRecognizer>, voice::EngineError> make_pocketsphinx_recognizer(
    const EngineSettings&) {
  return voice::EngineError{std::string(kEngine), kNoLibrary};
}

EngineStatus pocketsphinx_status() {
  return {std::string(kEngine), EngineKind::stt, false, kNoLibrary, pocketsphinx_capabilities(), {}};
}

#endif

}  // namespace va::engines
