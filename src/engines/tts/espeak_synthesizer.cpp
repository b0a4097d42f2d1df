#include "engines/tts/espeak_synthesizer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "engines/wav_format.hpp"
#include "media/resampler.hpp"

extern char** environ;

namespace va::engines {
namespace {

constexpr std::string_view kEngine = "espeak-ng";
constexpr int kOutputRate = 16000;
// eSpeak NG makes seconds of audio in milliseconds; a child that runs this long is stuck.
constexpr auto kMinTimeout = std::chrono::seconds(10);
constexpr auto kTimeoutPerCharacter = std::chrono::milliseconds(20);

// "*": any language eSpeak NG has a voice for (about a hundred); ru and en are the ones we test.
const voice::EngineCapabilities& espeak_capabilities() {
  static const voice::EngineCapabilities capabilities{{"ru", "en", "*"}, {22050}, true};
  return capabilities;
}

voice::EngineError error(std::string message) {
  return {std::string(kEngine), std::move(message)};
}

// The program's full path, from PATH.
std::optional<std::string> find_program() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const auto dir = dirs.substr(0, colon);
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
    if (dir.empty()) continue;
    auto candidate = std::filesystem::path(dir) / kEspeakProgram;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

// A voice name goes on the command line: letters, digits, '-', '+' and '_' (e.g. "en-us", "ru+f3").
bool valid_voice(std::string_view voice) {
  return !voice.empty() && voice.size() < 64 && voice.front() != '-' &&
         std::all_of(voice.begin(), voice.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '_';
         });
}

// The child and the read end of its stdout; the destructor kills and reaps a child still running.
class EspeakProcess {
 public:
  EspeakProcess() = default;
  EspeakProcess(const EspeakProcess&) = delete;
  EspeakProcess& operator=(const EspeakProcess&) = delete;
  ~EspeakProcess() {
    if (fd_ >= 0) ::close(fd_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      reap();
    }
  }

  std::optional<std::string> start(const std::string& program, const std::string& voice,
                                   const std::string& text) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    // "--" ends the options: the text is never read as one, whatever it starts with.
    std::vector<std::string> args{program, "-v", voice, "--stdout", "--", text};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    fd_ = fds[0];
    if (rc != 0) {
      pid_ = -1;
      return "cannot run " + program + ": " + std::strerror(rc);
    }
    return std::nullopt;
  }

  int fd() const { return fd_; }

  // Waits for the child's exit; its exit code, or -1 if it died of a signal.
  int finish() {
    ::close(fd_);
    fd_ = -1;
    return reap();
  }

 private:
  int reap() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
};

class EspeakSynthesizer final : public voice::SpeechSynthesizer {
 public:
  EspeakSynthesizer(std::string program, std::string voice)
      : program_(std::move(program)), voice_(std::move(voice)) {}

  std::string_view name() const override { return kEngine; }
  const voice::EngineCapabilities& capabilities() const override { return espeak_capabilities(); }

  Result<voice::Synthesized, voice::EngineError> synthesize(std::string_view text, std::string_view language,
                                                            const voice::AudioSink& sink) override {
    const std::string voice = voice_.empty() ? std::string(language) : voice_;
    if (!valid_voice(voice)) return error("invalid voice \"" + voice + "\"");
    EspeakProcess child;
    if (auto failure = child.start(program_, voice, std::string(text))) return error(*failure);

    const auto deadline =
        std::chrono::steady_clock::now() + kMinTimeout + kTimeoutPerCharacter * static_cast<int>(text.size());
    WavReader reader;
    std::optional<media::Resampler> resampler;
    std::vector<std::int16_t> samples, out;
    std::array<char, 8192> buffer{};
    std::size_t produced = 0;
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return error("timed out after " + std::to_string(text.size()) + " characters");
      pollfd pfd{child.fd(), POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0) return error(std::string("poll: ") + std::strerror(errno));
      if (ready == 0) continue;  // the deadline check above ends it
      const ssize_t n = ::read(child.fd(), buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return error(std::string("read: ") + std::strerror(errno));
      if (n == 0) break;
      if (auto bad = reader.feed(std::span<const char>(buffer.data(), static_cast<std::size_t>(n))))
        return error("unexpected output: " + *bad);
      if (!reader.format()) continue;
      if (!resampler) resampler.emplace(reader.format()->sample_rate, kOutputRate);
      samples.clear();
      reader.take_samples(samples);
      if (samples.empty()) continue;
      out.resize(resampler->max_output(samples.size()));
      const auto count = resampler->process(samples, out);
      produced += count;
      // Stopping kills the child (the destructor): nothing more is synthesised.
      if (count > 0 && !sink(std::span<const std::int16_t>(out.data(), count)))
        return voice::Synthesized{true};
    }
    const int status = child.finish();
    if (status != 0 || produced == 0)
      return error("espeak-ng -v " + voice + " failed (exit " + std::to_string(status) +
                   (produced == 0 ? ", no audio" : "") + "): is the voice installed?");
    return voice::Synthesized{false};
  }

 private:
  std::string program_;
  std::string voice_;
};

}  // namespace

Result<std::shared_ptr<voice::SpeechSynthesizer>, voice::EngineError> make_espeak_synthesizer(
    const EngineSettings& settings) {
  auto program = find_program();
  if (!program) return error("espeak-ng not found on PATH (Debian espeak-ng): run scripts/setup");
  if (!settings.voice.empty() && !valid_voice(settings.voice))
    return error("invalid voice \"" + settings.voice + "\"");
  std::shared_ptr<voice::SpeechSynthesizer> synthesizer =
      std::make_shared<EspeakSynthesizer>(*program, settings.voice);
  return synthesizer;
}

EngineStatus espeak_status() {
  EngineStatus status{std::string(kEngine), EngineKind::tts, false, {}, espeak_capabilities(), {"ru", "en"}};
  auto program = find_program();
  status.available = program.has_value();
  status.detail = program
                      ? *program + " as a child process (GPL-3, not linked), 22.05 kHz resampled to 16 kHz"
                      : "espeak-ng not found on PATH (Debian espeak-ng): run scripts/setup";
  return status;
}

}  // namespace va::engines
