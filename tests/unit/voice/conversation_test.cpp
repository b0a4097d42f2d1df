// The conversation pipeline on the call's thread, with test doubles of our own interfaces: a leg that
// records what it is sent (and plays it out one frame per tick, like the RTP leg), a VAD that reads speech
// from the frame, a recogniser with scripted answers and a synthesiser that makes tones. Real engines and
// real calls are tested in tests/e2e; this pins down the timing and the barge-in logic.
#include "voice/conversation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <deque>
#include <mutex>
#include <thread>

namespace va::voice {
namespace {

using namespace std::chrono_literals;

constexpr std::int16_t kSpeech = 3000;  // a frame whose first sample is this is speech for the test VAD

class TestLeg : public media::CallLeg {
 public:
  std::string_view id() const override { return "test-call"; }
  void set_observer(media::CallLegObserver*) override {}
  void answer() override { answered = true; }
  void hangup(media::EndReason) override { hung_up = true; }
  void transfer(const std::string& target) override { transferred_to = target; }
  void hold(bool) override {}
  bool send_audio(const media::AudioFrame& frame) override {
    if (queue.size() >= 50) return false;
    queue.push_back(frame);
    return true;
  }
  void flush_audio() override {
    ++flushes;
    queue.clear();
  }
  std::size_t queued_audio_frames() const override { return queue.size(); }
  void send_dtmf(char digit, std::chrono::milliseconds) override { dtmf_sent.push_back(digit); }
  media::MediaStats stats() const override { return {}; }

  // One media tick: one queued frame goes to the wire.
  void tick() {
    if (queue.empty()) {
      ++silent_ticks;
      return;
    }
    wire.push_back(queue.front());
    queue.pop_front();
  }

  bool answered = false;
  bool hung_up = false;
  std::string transferred_to;
  std::string dtmf_sent;
  int flushes = 0;
  int silent_ticks = 0;
  std::deque<media::AudioFrame> queue;
  std::vector<media::AudioFrame> wire;
};

class TestVad : public VoiceActivityDetector {
 public:
  std::string_view name() const override { return "test"; }
  bool is_speech(const media::AudioFrame& frame) override { return frame.samples[0] == kSpeech; }
  void reset() override {}
};

class TestRecognizer : public SpeechRecognizer {
 public:
  std::string_view name() const override { return "test-stt"; }
  const EngineCapabilities& capabilities() const override { return caps_; }
  Result<Recognition, EngineError> recognize(std::span<const std::int16_t> pcm, std::string_view language,
                                             const std::function<void(std::string_view)>&) override {
    std::lock_guard lock(mutex);
    heard_samples.push_back(pcm.size());
    if (answers.empty()) return EngineError{"test-stt", "no scripted answer"};
    auto answer = answers.front();
    answers.pop_front();
    if (answer == "!fail") return EngineError{"test-stt", "model crashed"};
    return Recognition{answer, std::string(language)};
  }
  std::mutex mutex;
  std::deque<std::string> answers;
  std::vector<std::size_t> heard_samples;

 private:
  EngineCapabilities caps_{{"ru", "en"}, {16000}, false};
};

// One second of 16 kHz audio per sentence, value = sentence length (to tell prompts apart on the wire).
class TestSynthesizer : public SpeechSynthesizer {
 public:
  explicit TestSynthesizer(std::string name = "test-tts") : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  const EngineCapabilities& capabilities() const override { return caps_; }
  Result<Synthesized, EngineError> synthesize(std::string_view text, std::string_view,
                                              const AudioSink& sink) override {
    ++calls;
    if (fail || (fail_from > 0 && calls >= fail_from)) return EngineError{name_, "voice missing"};
    std::vector<std::int16_t> chunk(1600, static_cast<std::int16_t>(text.size()));
    for (int i = 0; i < 10; ++i)
      if (!sink(chunk)) return Synthesized{true};
    return Synthesized{false};
  }
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::atomic<int> fail_from{0};  // > 0: this call (1-based) and every later one fail

 private:
  std::string name_;
  EngineCapabilities caps_{{"ru", "en"}, {16000}, true};
};

// A dialogue that greets, and answers every turn with "you said <text>"; "bye" hangs up.
class EchoDialogue : public Dialogue {
 public:
  void start(DialogueHost& host) override {
    host_ = &host;
    host.say("Hello, this is the test agent. How can I help?", {},
             [this](const Said& said) { greeting_full = said.played_fully; });
  }
  void on_user_turn(const UserTurn& turn) override {
    turns.push_back(turn);
    if (turn.text == "bye") {
      host_->say("Goodbye.");
      host_->hang_up(HangupReason::caller_request);
      return;
    }
    if (turn.text == "operator") {
      host_->transfer("+70000000000");
      return;
    }
    host_->say("You said " + turn.text + ".");
  }
  void on_no_input() override { ++no_inputs; }
  void on_call_ended() override { ended = true; }
  // Understands everything but what `unclear` lists (a flow without an intent for it).
  bool understands(const UserTurn& turn) const override {
    return std::find(unclear.begin(), unclear.end(), turn.text) == unclear.end();
  }

  std::vector<std::string> unclear;
  DialogueHost* host_ = nullptr;
  std::vector<UserTurn> turns;
  std::optional<bool> greeting_full;
  int no_inputs = 0;
  bool ended = false;
};

class ConversationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    recognizer = std::make_shared<TestRecognizer>();
    voice = std::make_shared<TestSynthesizer>();
    pool = std::make_shared<WorkerPool>(1, 4);
  }

  void make(ConversationSettings settings = {}) {
    settings.endpointing.min_speech = 100ms;
    settings.endpointing.trailing_silence = 300ms;
    ConversationEngines engines;
    engines.make_vad = [] { return std::make_unique<TestVad>(); };
    engines.recognizer = recognizer;
    engines.voices["en"] = voice;
    engines.pool = pool;
    engines.prompt_cache = std::make_shared<PromptCache>();
    auto d = std::make_unique<EchoDialogue>();
    dialogue = d.get();
    CallContext call;
    call.call_id = "test-call";
    call.language = "en";
    conversation = std::make_shared<Conversation>(settings, engines, std::move(d), call,
                                                  make_conversation_metrics(registry));
    conversation->start(leg, io.get_executor());
    conversation->on_answered();
  }

  // `n` media ticks of 20 ms: the leg sends one frame, the caller's frame arrives, the thread runs.
  void ticks(int n, bool caller_speaks = false) {
    for (int i = 0; i < n; ++i) {
      leg.tick();
      auto frame = media::AudioFrame::silence(clock);
      if (caller_speaks) frame.samples.fill(kSpeech);
      clock += media::SampleTime{media::kFrameSamples};
      conversation->on_audio(frame);
      run_for(2ms);
    }
  }
  void run_for(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }
  // Waits (bounded) until `done` holds, running the call's thread.
  template <typename Pred>
  bool eventually(Pred done, std::chrono::milliseconds limit = 3000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > until) return false;
      ticks(1);
    }
    return true;
  }
  std::size_t wire_frames_with(std::int16_t value) const {
    std::size_t n = 0;
    for (const auto& f : leg.wire) n += f.samples[100] == value;
    return n;
  }

  boost::asio::io_context io;
  metrics::Registry registry;
  TestLeg leg;
  std::shared_ptr<TestRecognizer> recognizer;
  std::shared_ptr<TestSynthesizer> voice;
  std::shared_ptr<WorkerPool> pool;
  EchoDialogue* dialogue = nullptr;
  std::shared_ptr<Conversation> conversation;
  media::SampleTime clock{0};
};

const std::string kGreeting = "Hello, this is the test agent.";  // first sentence: 30 bytes
const std::string kQuestion = "How can I help?";                 // second: 15 bytes

TEST_F(ConversationTest, TheGreetingIsSynthesisedSentenceBySentenceAndPlayedWhole) {
  make();
  EXPECT_TRUE(leg.answered);
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  EXPECT_TRUE(*dialogue->greeting_full);
  // Two sentences of one second each, every frame on the wire in order.
  EXPECT_EQ(wire_frames_with(static_cast<std::int16_t>(kGreeting.size())), 50u);
  EXPECT_EQ(wire_frames_with(static_cast<std::int16_t>(kQuestion.size())), 50u);
  ASSERT_EQ(conversation->transcript().size(), 1u);
  EXPECT_EQ(conversation->transcript()[0].speaker, Speaker::agent);
  EXPECT_FALSE(conversation->transcript()[0].interrupted);
}

TEST_F(ConversationTest, AnUtteranceIsRecognisedAndAnsweredWithTurnMetrics) {
  make();
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  recognizer->answers.push_back("my balance");
  ticks(40, true);   // 800 ms of speech
  ticks(20, false);  // 400 ms of silence: endpointed after 300 ms
  ASSERT_TRUE(eventually([&] { return !dialogue->turns.empty(); }));
  EXPECT_EQ(dialogue->turns[0].text, "my balance");
  EXPECT_FALSE(dialogue->turns[0].barged_in);
  // The recogniser got the utterance with its pre-roll: 800 ms of speech + 200 ms before + 300 ms after.
  ASSERT_EQ(recognizer->heard_samples.size(), 1u);
  EXPECT_GE(recognizer->heard_samples[0], 16000u * 800 / 1000);
  ASSERT_TRUE(eventually([&] {
    return wire_frames_with(static_cast<std::int16_t>(std::string("You said my balance.").size())) > 0;
  }));
  ASSERT_EQ(conversation->turns().size(), 1u);
  const auto& turn = conversation->turns()[0];
  ASSERT_TRUE(turn.total && turn.end_of_speech_to_final && turn.final_to_reply && turn.reply_to_first_audio);
  EXPECT_GE(*turn.total, 290.0);  // includes the endpointing silence
  ASSERT_TRUE(turn.endpointing);
  EXPECT_NEAR(*turn.endpointing, 300.0, 60.0);
}

TEST_F(ConversationTest, CallerSpeechCutsThePromptAtOnceAndTheTranscriptKeepsWhatWasPlayed) {
  make();
  ticks(25);  // half a second of the greeting's first sentence
  recognizer->answers.push_back("operator please");
  const auto before = leg.wire.size();
  ticks(5, true);  // 100 ms of speech = min_speech: the leg is flushed
  EXPECT_EQ(leg.flushes, 1);
  EXPECT_TRUE(leg.queue.empty());
  ticks(30, true);
  // Nothing of the greeting went out after the onset was confirmed.
  EXPECT_LE(leg.wire.size(), before + 5);
  ticks(20, false);
  ASSERT_TRUE(eventually([&] { return !dialogue->turns.empty(); }));
  EXPECT_TRUE(dialogue->turns[0].barged_in);
  ASSERT_TRUE(dialogue->greeting_full.has_value());
  EXPECT_FALSE(*dialogue->greeting_full);
  const auto& entry = conversation->transcript().front();
  EXPECT_TRUE(entry.interrupted);
  EXPECT_EQ(entry.full_text, kGreeting + " " + kQuestion);
  EXPECT_LT(entry.text.size(), kGreeting.size());  // cut inside the first sentence
  EXPECT_GT(entry.cut_at.count(), 300);
  EXPECT_LT(entry.cut_at.count(), 800);
}

TEST_F(ConversationTest, ABackchannelPausesThePromptAndItResumesWhereItWasCut) {
  make();
  ticks(25);
  recognizer->answers.push_back("Угу.");
  ticks(20, true);
  ticks(20, false);
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }, 5000ms));
  EXPECT_TRUE(*dialogue->greeting_full);
  EXPECT_TRUE(dialogue->turns.empty());
  // Every frame of the greeting reached the wire in the end (the flushed ones were sent again).
  EXPECT_GE(wire_frames_with(static_cast<std::int16_t>(kGreeting.size())), 50u);
  EXPECT_EQ(registry.counter("voice_barge_ins_total", "", {"outcome"}).with({"resumed"}).value(), 1.0);
}

TEST_F(ConversationTest, AShortBargeInTheDialogueDoesNotUnderstandResumesThePrompt) {
  make();
  dialogue->unclear = {"Pobo."};
  ticks(25);
  recognizer->answers.push_back("Pobo.");  // a misheard backchannel, 400 ms of speech
  ticks(20, true);
  ticks(20, false);
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }, 5000ms));
  EXPECT_TRUE(*dialogue->greeting_full);
  EXPECT_TRUE(dialogue->turns.empty());
  EXPECT_EQ(registry.counter("voice_barge_ins_total", "", {"outcome"}).with({"resumed"}).value(), 1.0);
}

TEST_F(ConversationTest, ALongBargeInTheDialogueDoesNotUnderstandIsStillATurn) {
  make();
  dialogue->unclear = {"Something long and unclear."};
  ticks(25);
  recognizer->answers.push_back("Something long and unclear.");
  ticks(60, true);  // 1.2 s of speech: longer than unclear_interruption_max
  ticks(20, false);
  ASSERT_TRUE(eventually([&] { return !dialogue->turns.empty(); }, 5000ms));
  EXPECT_TRUE(dialogue->turns[0].barged_in);
  ASSERT_TRUE(dialogue->greeting_full.has_value());
  EXPECT_FALSE(*dialogue->greeting_full);
}

TEST_F(ConversationTest, ACoughDoesNotCutThePrompt) {
  make();
  ticks(25);
  ticks(4, true);  // 80 ms: shorter than min_speech
  ticks(10);
  EXPECT_EQ(leg.flushes, 0);
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  EXPECT_TRUE(*dialogue->greeting_full);
}

TEST_F(ConversationTest, ARecognitionFailureIsAnsweredWithTheFallbackPhrase) {
  make();
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  recognizer->answers.push_back("!fail");
  ticks(20, true);
  ticks(20, false);
  const std::string fallback = "Sorry, I did not catch that.";
  ASSERT_TRUE(eventually([&] { return wire_frames_with(static_cast<std::int16_t>(fallback.size())) > 0; }));
  EXPECT_TRUE(dialogue->turns.empty());
  EXPECT_EQ(registry.counter("voice_engine_errors_total", "", {"engine", "kind"})
                .with({"test-stt", "error"})
                .value(),
            1.0);
}

TEST_F(ConversationTest, ASynthesisFailureFallsBackToTheFallbackVoice) {
  auto fallback = std::make_shared<TestSynthesizer>("fallback-tts");
  voice->fail = true;
  ConversationSettings settings;
  make(settings);
  // make() has no fallback voice: build again with one.
  conversation.reset();
  leg = TestLeg{};
  ConversationEngines engines;
  engines.make_vad = [] { return std::make_unique<TestVad>(); };
  engines.recognizer = recognizer;
  engines.voices["en"] = voice;
  engines.fallback_voice = fallback;
  engines.pool = pool;
  auto d = std::make_unique<EchoDialogue>();
  dialogue = d.get();
  conversation =
      std::make_shared<Conversation>(settings, engines, std::move(d), CallContext{"c2", "", "", "en", {}});
  conversation->start(leg, io.get_executor());
  conversation->on_answered();
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  EXPECT_TRUE(*dialogue->greeting_full);
  EXPECT_GE(fallback->calls.load(), 2);
  EXPECT_EQ(wire_frames_with(static_cast<std::int16_t>(kGreeting.size())), 50u);
}

TEST_F(ConversationTest, AVoiceFailingMidPromptIsRelievedByTheFallbackVoiceFromTheFailedSentence) {
  auto fallback = std::make_shared<TestSynthesizer>("fallback-tts");
  voice->fail_from = 2;  // the greeting's first sentence is said, the second fails
  ConversationSettings settings;
  settings.endpointing.min_speech = 100ms;
  ConversationEngines engines;
  engines.make_vad = [] { return std::make_unique<TestVad>(); };
  engines.recognizer = recognizer;
  engines.voices["en"] = voice;
  engines.fallback_voice = fallback;
  engines.pool = pool;
  auto d = std::make_unique<EchoDialogue>();
  dialogue = d.get();
  conversation =
      std::make_shared<Conversation>(settings, engines, std::move(d), CallContext{"c3", "", "", "en", {}},
                                     make_conversation_metrics(registry));
  conversation->start(leg, io.get_executor());
  conversation->on_answered();
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  EXPECT_TRUE(*dialogue->greeting_full);
  // The first sentence once, in the call's voice; the second once, in the fallback voice (only it).
  EXPECT_EQ(wire_frames_with(static_cast<std::int16_t>(kGreeting.size())), 50u);
  EXPECT_EQ(wire_frames_with(static_cast<std::int16_t>(kQuestion.size())), 50u);
  EXPECT_EQ(fallback->calls.load(), 1);
  EXPECT_EQ(registry.counter("voice_engine_errors_total", "", {"engine", "kind"})
                .with({"test-tts", "error"})
                .value(),
            1.0);
  ASSERT_EQ(conversation->transcript().size(), 1u);
  EXPECT_EQ(conversation->transcript()[0].text, kGreeting + " " + kQuestion);
}

TEST_F(ConversationTest, AFailedBusinessCallIsCountedByKindAndHandedToTheDialogue) {
  make();
  // The composition root's fetcher reports a failure as "<kind>: <message>" (http::ClientErrorKind).
  conversation->set_fetcher([](FetchRequest request, std::function<void(FetchResponse)> done) {
    FetchResponse response;
    if (request.url.ends_with("/slow")) {
      response.error = "timeout: no answer within 2000 ms";
    } else {
      response.status = request.url.ends_with("/down") ? 503 : 200;
      response.body = "{}";
    }
    done(response);
  });
  std::vector<FetchResponse> answers;
  for (const char* path : {"/slow", "/down", "/ok"}) {
    FetchRequest request;
    request.url = std::string("http://127.0.0.1:9") + path;
    conversation->fetch(request, [&](FetchResponse r) { answers.push_back(r); });
  }
  ASSERT_TRUE(eventually([&] { return answers.size() == 3; }));
  EXPECT_EQ(answers[0].status, 0);
  EXPECT_EQ(answers[1].status, 503);
  auto& errors = registry.counter("voice_fetch_errors_total", "", {"kind"});
  EXPECT_EQ(errors.with({"timeout"}).value(), 1.0);
  EXPECT_EQ(errors.with({"status"}).value(), 1.0);
}

TEST_F(ConversationTest, HangUpWaitsForTheGoodbyeToBePlayed) {
  make();
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  recognizer->answers.push_back("bye");
  ticks(20, true);
  ticks(20, false);
  ASSERT_TRUE(eventually([&] { return leg.hung_up; }));
  // The whole goodbye was on the wire before the hang-up.
  EXPECT_EQ(wire_frames_with(static_cast<std::int16_t>(std::string("Goodbye.").size())), 50u);
}

TEST_F(ConversationTest, DtmfIsATurnAndCutsThePrompt) {
  make();
  ticks(10);
  conversation->on_dtmf({'1', 100ms, media::DtmfSource::rfc4733});
  EXPECT_EQ(leg.flushes, 1);
  ASSERT_EQ(dialogue->turns.size(), 1u);
  EXPECT_EQ(dialogue->turns[0].kind, UserTurn::Kind::dtmf);
  EXPECT_EQ(dialogue->turns[0].text, "1");
  ASSERT_TRUE(dialogue->greeting_full.has_value());
  EXPECT_FALSE(*dialogue->greeting_full);
}

TEST_F(ConversationTest, NoInputAfterThePromptReachesTheDialogue) {
  ConversationSettings settings;
  settings.no_input_timeout = 200ms;
  make(settings);
  ASSERT_TRUE(eventually([&] { return dialogue->greeting_full.has_value(); }));
  ASSERT_TRUE(eventually([&] { return dialogue->no_inputs > 0; }));
}

TEST_F(ConversationTest, AFixedPromptIsSynthesisedOncePerProcess) {
  auto cache = std::make_shared<PromptCache>();
  for (int call = 0; call < 2; ++call) {
    leg = TestLeg{};
    ConversationEngines engines;
    engines.make_vad = [] { return std::make_unique<TestVad>(); };
    engines.voices["en"] = voice;
    engines.pool = pool;
    engines.prompt_cache = cache;
    class Fixed : public Dialogue {
     public:
      void start(DialogueHost& host) override {
        host.say("Welcome.", SayOptions{true, true}, [this](const Said&) { done = true; });
      }
      void on_user_turn(const UserTurn&) override {}
      void on_no_input() override {}
      void on_call_ended() override {}
      bool done = false;
    };
    auto d = std::make_unique<Fixed>();
    auto* fixed = d.get();
    conversation = std::make_shared<Conversation>(ConversationSettings{}, engines, std::move(d),
                                                  CallContext{"c", "", "", "en", {}});
    conversation->start(leg, io.get_executor());
    conversation->on_answered();
    ASSERT_TRUE(eventually([&] { return fixed->done; }));
    EXPECT_EQ(wire_frames_with(8), 50u);
    conversation->on_ended({});
  }
  EXPECT_EQ(voice->calls.load(), 1);
  EXPECT_EQ(cache->hits(), 1u);
}

}  // namespace
}  // namespace va::voice
