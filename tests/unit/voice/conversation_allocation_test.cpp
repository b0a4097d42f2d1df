// The conversation's per-frame paths must not allocate, as the media paths do not (style.md: hot paths
// allocation-free per packet/frame): a frame in (Conversation::on_audio), the VAD's decision on it (the real
// WebRTC VAD), the Endpointer, and a frame out (the pacing tick that hands the next frames of a synthesised
// prompt to the leg). Speech is real: synthesised by an installed engine (RHVoice, else eSpeak NG).
//
// Allocations are counted by support/allocation_window (compiled into this binary: it replaces the global
// operator new); under AddressSanitizer it also sees every malloc of the process — the C library of the
// WebRTC VAD included.
//
// What may allocate, and is outside the windows: an utterance boundary (the utterance handed to the
// recogniser, its result, the dialogue's answer; a barge-in, which logs), a prompt's synthesis (its audio
// arrives in chunks from the worker pool), a reply's first frame (its latency metrics), and logging.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdlib>
#include <mutex>
#include <new>

#include "engines/engine_registry.hpp"
#include "engines/vad/webrtc_vad.hpp"
#include "support/allocation_window.hpp"
#include "voice/conversation.hpp"
#include "voice/endpointer.hpp"

namespace va::voice {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

using va::test::AllocationWindow;

// Real speech, 16 kHz: the first installed of RHVoice and eSpeak NG says `text`.
std::vector<std::int16_t> speech(const std::string& text) {
  engines::EngineRegistry registry;
  engines::register_builtin_engines(registry);
  std::vector<std::int16_t> pcm;
  for (const char* name : {"rhvoice", "espeak-ng"}) {
    engines::EngineSettings settings;
    settings.language = "en";
    auto tts = registry.make_synthesizer(name, settings);
    if (!tts) continue;
    auto said = (*tts)->synthesize(text, "en", [&](std::span<const std::int16_t> chunk) {
      pcm.insert(pcm.end(), chunk.begin(), chunk.end());
      return true;
    });
    if (said && !pcm.empty()) return pcm;
    pcm.clear();
  }
  return pcm;
}

std::unique_ptr<VoiceActivityDetector> webrtc_vad() {
  auto vad = engines::make_webrtc_vad({2});
  return vad ? std::move(*vad) : nullptr;
}

// Consecutive 20 ms frames of `pcm` (the last one padded with silence), timestamps from `start`.
std::vector<media::AudioFrame> frames_of(const std::vector<std::int16_t>& pcm, media::SampleTime start) {
  std::vector<media::AudioFrame> frames;
  for (std::size_t at = 0; at < pcm.size(); at += media::kFrameSamples) {
    auto frame = media::AudioFrame::silence(start);
    std::copy_n(pcm.begin() + static_cast<std::ptrdiff_t>(at),
                std::min(media::kFrameSamples, pcm.size() - at), frame.samples.begin());
    start += media::SampleTime{media::kFrameSamples};
    frames.push_back(frame);
  }
  return frames;
}

TEST(ConversationAllocation, TheCountersSeeAllocations) {
  AllocationWindow window;
  void* p = ::operator new(64);
  ::operator delete(p);
  EXPECT_EQ(window.count(), 1u);
#if defined(__SANITIZE_ADDRESS__)
  void* c = std::malloc(64);
  std::free(c);
  EXPECT_GE(window.c_count(), 2u);  // operator new's malloc and this one
#endif
}

TEST(ConversationAllocation, WebRtcVadDecidesWithoutAllocating) {
  auto said = speech("Please connect me with the operator, I have a question about my bill.");
  ASSERT_FALSE(said.empty()) << "no speech engine installed (run scripts/setup)";
  auto vad = webrtc_vad();
  ASSERT_TRUE(vad);
  auto frames = frames_of(said, media::SampleTime{0});
  const auto quiet = media::AudioFrame::silence();
  (void)vad->is_speech(quiet);  // warm-up

  std::size_t speech_frames = 0, silence_frames = 0;
  AllocationWindow window;
  for (const auto& frame : frames) speech_frames += vad->is_speech(frame) ? 1 : 0;
  for (int i = 0; i < 50; ++i) silence_frames += vad->is_speech(quiet) ? 1 : 0;
  window.close();
  EXPECT_EQ(window.count(), 0u);
  EXPECT_EQ(window.c_count(), 0u);
  // It does decide: most of a sentence is speech, digital silence never is.
  EXPECT_GT(speech_frames, frames.size() / 2) << speech_frames << " of " << frames.size();
  EXPECT_EQ(silence_frames, 0u);
}

TEST(ConversationAllocation, EndpointerDoesNotAllocatePerFrame) {
  Endpointer endpointer;
  media::SampleTime t{0};
  std::size_t started = 0, ended = 0;
  AllocationWindow window;
  for (int i = 0; i < 2000; ++i, t += media::SampleTime{media::kFrameSamples}) {
    const bool speech = (i / 50) % 2 == 0;  // 1 s of speech, 1 s of silence
    if (auto event = endpointer.push(speech, t))
      (event->kind == EndpointEvent::Kind::speech_started ? started : ended)++;
  }
  window.close();
  EXPECT_EQ(window.count(), 0u);
  EXPECT_EQ(window.c_count(), 0u);
  EXPECT_EQ(started, 20u);
  EXPECT_EQ(ended, 20u);
}

// A leg that plays out one queued frame per media tick, from a fixed ring (like the RTP leg's queue).
class RingLeg : public media::CallLeg {
 public:
  std::string_view id() const override { return "allocation-test"; }
  void set_observer(media::CallLegObserver*) override {}
  void answer() override {}
  void hangup(media::EndReason) override {}
  void transfer(const std::string&) override {}
  void hold(bool) override {}
  bool send_audio(const media::AudioFrame& frame) override {
    if (size_ == ring_.size()) return false;
    ring_[(head_ + size_) % ring_.size()] = frame;
    ++size_;
    return true;
  }
  void flush_audio() override { size_ = 0; }
  std::size_t queued_audio_frames() const override { return size_; }
  void send_dtmf(char, std::chrono::milliseconds) override {}
  media::MediaStats stats() const override { return {}; }

  void tick() {
    if (size_ == 0) return;
    if (!media::is_silence(ring_[head_].samples)) ++audible_frames_sent;
    ++frames_sent;
    head_ = (head_ + 1) % ring_.size();
    --size_;
  }

  std::size_t frames_sent = 0;
  std::size_t audible_frames_sent = 0;

 private:
  std::array<media::AudioFrame, 64> ring_{};
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// Records what it was handed; the utterance boundary is outside the windows.
class RecordingRecognizer : public SpeechRecognizer {
 public:
  std::string_view name() const override { return "recording"; }
  const EngineCapabilities& capabilities() const override { return caps_; }
  Result<Recognition, EngineError> recognize(std::span<const std::int16_t> pcm, std::string_view language,
                                             const std::function<void(std::string_view)>&) override {
    std::lock_guard lock(mutex);
    heard.push_back(pcm.size());
    return Recognition{"", std::string(language)};
  }
  std::mutex mutex;
  std::vector<std::size_t> heard;

 private:
  EngineCapabilities caps_{{"en"}, {16000}, false};
};

// Says `prompt` when the call is answered (nothing when empty), and nothing else.
class OnePromptDialogue : public Dialogue {
 public:
  explicit OnePromptDialogue(std::string prompt) : prompt_(std::move(prompt)) {}
  void start(DialogueHost& host) override {
    if (!prompt_.empty()) host.say(prompt_, {}, [this](const Said&) { said = true; });
  }
  void on_user_turn(const UserTurn&) override {}
  void on_no_input() override {}
  void on_call_ended() override {}
  bool said = false;

 private:
  std::string prompt_;
};

// One call on an io_context driven by this thread: a 20 ms media tick (a steady timer, as the media clock
// is) plays one frame out of the leg and delivers the caller's next frame to on_audio, so every handler runs
// inside the io_context as it does in the service.
class ConversationAllocationTest : public ::testing::Test {
 protected:
  void make(std::string prompt, std::shared_ptr<SpeechSynthesizer> voice = nullptr) {
    recognizer = std::make_shared<RecordingRecognizer>();
    ConversationEngines engines;
    engines.make_vad = webrtc_vad;
    engines.recognizer = recognizer;
    if (voice) engines.voices["en"] = voice;
    engines.pool = std::make_shared<WorkerPool>(1, 4);
    ConversationSettings settings;
    settings.no_input_timeout = 60s;
    auto d = std::make_unique<OnePromptDialogue>(std::move(prompt));
    dialogue = d.get();
    CallContext call;
    call.call_id = "allocation-test";
    call.language = "en";
    conversation = std::make_shared<Conversation>(settings, engines, std::move(d), call,
                                                  make_conversation_metrics(registry));
    conversation->start(leg, io.get_executor(), false);
    conversation->on_answered();
  }

  // A completion handler that forwards to a std::function made before any window.
  struct Forward {
    std::function<void(const boost::system::error_code&)>* to;
    void operator()(const boost::system::error_code& ec) const { (*to)(ec); }
  };

  // `n` media ticks in real time; `caller` gives the caller's frame for each (silence when it runs out).
  // With a `window`, it is open from tick `kWindowFrom` to the last: the harness itself and the first
  // handlers of a run (asio recycles handler memory per running thread; a service thread runs for good) are
  // outside it.
  static constexpr std::size_t kWindowFrom = 10;
  std::size_t ticks(std::size_t n, const std::vector<media::AudioFrame>* caller = nullptr,
                    AllocationWindow* window = nullptr) {
    std::size_t done = 0, next_caller = 0;
    asio::steady_timer tick(io);
    auto deadline = std::chrono::steady_clock::now();
    std::function<void(const boost::system::error_code&)> on_tick;  // allocated here, before any window
    on_tick = [&](const boost::system::error_code& ec) {
      if (ec) return;
      if (window && done == kWindowFrom) window->open();
      leg.tick();
      media::AudioFrame frame;
      if (caller && next_caller < caller->size()) {
        frame = (*caller)[next_caller++];
        frame.timestamp = clock;
      } else {
        frame.samples.fill(0);
        frame.timestamp = clock;
      }
      clock += media::SampleTime{media::kFrameSamples};
      conversation->on_audio(frame);
      if (++done == n) {
        if (window) window->close();
        return;
      }
      deadline += media::kFrameDuration;
      tick.expires_at(deadline);
      tick.async_wait(Forward{&on_tick});
    };
    tick.expires_at(deadline);
    tick.async_wait(Forward{&on_tick});
    io.restart();
    // Bounded: n ticks of 20 ms, and a second more for a loaded machine.
    io.run_until(std::chrono::steady_clock::now() + media::kFrameDuration * n + 1s);
    if (window) window->close();
    tick.cancel();
    io.restart();
    io.poll();
    return done;
  }

  void TearDown() override {
    if (conversation) conversation->on_ended(media::CallEnded{});
    io.restart();
    io.poll();
  }

  asio::io_context io;
  metrics::Registry registry;
  RingLeg leg;
  std::shared_ptr<RecordingRecognizer> recognizer;
  OnePromptDialogue* dialogue = nullptr;
  std::shared_ptr<Conversation> conversation;
  media::SampleTime clock{0};
};

TEST_F(ConversationAllocationTest, ListeningToSilenceAndSpeechDoesNotAllocate) {
  auto said = speech("Please connect me with the operator, I have a question about my bill.");
  ASSERT_FALSE(said.empty()) << "no speech engine installed (run scripts/setup)";
  auto utterance = frames_of(said, media::SampleTime{0});
  make("");
  // Warm-up: a whole utterance, its end and its (empty) recognition, so every timer and buffer the call
  // keeps has been made once.
  ticks(25);
  ticks(utterance.size() + 50, &utterance);
  ASSERT_TRUE([&] {
    std::lock_guard lock(recognizer->mutex);
    return recognizer->heard.size() == 1;
  }()) << "the warm-up utterance did not reach the recogniser";

  // Silence, then speech that does not end (the window closes before the trailing silence).
  std::vector<media::AudioFrame> caller(50, media::AudioFrame::silence());
  caller.insert(caller.end(), utterance.begin(), utterance.end() - 10);
  {
    AllocationWindow window(false);
    ASSERT_EQ(ticks(caller.size(), &caller, &window), caller.size());
    EXPECT_EQ(window.count(), 0u) << "operator new on the listening path";
    EXPECT_EQ(window.c_count(), 0u) << "malloc on the listening path";
  }
  // It was heard as one utterance (the boundary allocates: outside the window).
  ticks(60);
  std::lock_guard lock(recognizer->mutex);
  ASSERT_EQ(recognizer->heard.size(), 2u);
  EXPECT_GT(recognizer->heard[1], said.size() / 2);
}

TEST_F(ConversationAllocationTest, PacedPlayoutOfAPromptDoesNotAllocate) {
  engines::EngineRegistry registry_of_engines;
  engines::register_builtin_engines(registry_of_engines);
  std::shared_ptr<SpeechSynthesizer> voice;
  for (const char* name : {"rhvoice", "espeak-ng"}) {
    engines::EngineSettings settings;
    settings.language = "en";
    if (auto tts = registry_of_engines.make_synthesizer(name, settings)) {
      voice = *tts;
      break;
    }
  }
  ASSERT_TRUE(voice) << "no speech engine installed (run scripts/setup)";
  make(
      "Thank you for calling. Our office is open from nine in the morning to six in the evening, Monday "
      "to Friday. Please stay on the line.",
      voice);
  // Warm-up: synthesis (on the worker pool) finishes and the first frames are out.
  ticks(50);
  ASSERT_GT(leg.audible_frames_sent, 0u) << "nothing was synthesised";
  ASSERT_FALSE(dialogue->said) << "the prompt is too short for the test";

  const auto before = leg.frames_sent;
  {
    AllocationWindow window(false);
    // 2 s of the prompt: pacing ticks hand frames to the leg, the caller is silent.
    ASSERT_EQ(ticks(100, nullptr, &window), 100u);
    EXPECT_EQ(window.count(), 0u) << "operator new on the playout path";
    EXPECT_EQ(window.c_count(), 0u) << "malloc on the playout path";
  }
  EXPECT_GE(leg.frames_sent - before, 90u) << "the prompt was not paced out";
}

}  // namespace
}  // namespace va::voice
