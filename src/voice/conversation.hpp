// The conversation pipeline of one call (issue 10): it listens, hands turns to the dialogue and speaks.
//
//   leg.on_audio (20 ms, 16 kHz) ─► VAD ─► Endpointer ─► utterance ─► [worker] STT ─► Dialogue
//        ▲                                    │ speech_started during playback: barge-in (flush_audio)
//        └── send_audio ◄── playout queue ◄── [worker] TTS (streamed chunks) ◄── DialogueHost::say
//
// - Everything but engine work runs on the call's thread (the leg's strand); recognition and synthesis run
//   on the WorkerPool and post their results back. A full pool or a failing engine never kills the call:
//   the caller hears a fallback phrase (or the prompt is skipped when even that cannot be synthesised).
// - Playout: synthesised audio waits in the conversation's queue and is handed to the leg a few frames
//   ahead of the wire (`lookahead`), so a barge-in drops little and the played position is known exactly.
// - Barge-in: caller speech (min_speech, endpointer.hpp) while an interruptible prompt plays pauses the
//   playout and flushes the leg at once. When the utterance is recognised: a backchannel ("угу", "mhm")
//   resumes the prompt where it was cut; anything else abandons it (transcript: interrupted, cut position)
//   and goes to the dialogue as a barged-in turn.
// - DTMF digits are turns too (and cut an interruptible prompt).
//
// Lifetime: shared (jobs hold weak references). start() after the leg is set; the leg's on_ended ends it.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "media/call_leg.hpp"
#include "voice/dialogue.hpp"
#include "voice/endpointer.hpp"
#include "voice/language_model.hpp"
#include "voice/prompt_cache.hpp"
#include "voice/speech_recognizer.hpp"
#include "voice/speech_synthesizer.hpp"
#include "voice/transcript.hpp"
#include "voice/voice_activity.hpp"
#include "voice/voicing.hpp"
#include "voice/worker_pool.hpp"

namespace va::voice {

struct ConversationSettings {
  EndpointerSettings endpointing;
  // Caller speech that does not interrupt a prompt (compared after normalisation: lower case, ё→е, no
  // punctuation).
  std::vector<std::string> backchannels{"угу",    "ага",    "да-да", "да да", "mhm",
                                        "mm-hmm", "uh-huh", "ok",    "okay"};
  bool barge_in = true;
  // Count VAD speech only around pitched sound (voicing.hpp): a cough or a rustle that the VAD flags never
  // starts an utterance nor cuts a prompt.
  bool require_voicing = true;
  // A barge-in no longer than this that the dialogue does not understand (Dialogue::understands) resumes
  // the cut prompt: a backchannel the recogniser got wrong, a word to someone else. 0: never.
  std::chrono::milliseconds unclear_interruption_max{1000};
  std::chrono::milliseconds no_input_timeout{7000};
  // Frames handed to the leg ahead of the wire.
  std::size_t lookahead_frames = 8;
  // Said when an engine fails or the pool is full, per language.
  std::map<std::string, std::string> fallback_phrases{
      {"ru", "Извините, я вас не расслышала. Повторите, пожалуйста."},
      {"en", "Sorry, I did not catch that. Could you say it again?"}};
  // Longest utterance kept for recognition (pre-allocated per call).
  std::chrono::milliseconds pre_roll{200};
};

// The engines of one call, chosen by the route and language; shared between calls.
struct ConversationEngines {
  std::function<std::unique_ptr<VoiceActivityDetector>()> make_vad;
  std::shared_ptr<SpeechRecognizer> recognizer;  // null: DTMF only
  // By language, before `recognizer` (a null one: that language is DTMF-only).
  std::map<std::string, std::shared_ptr<SpeechRecognizer>> recognizers;
  std::map<std::string, std::shared_ptr<SpeechSynthesizer>> voices;  // by language
  std::shared_ptr<SpeechSynthesizer> fallback_voice;                 // any language (espeak-ng)
  std::shared_ptr<WorkerPool> pool;
  std::shared_ptr<PromptCache> prompt_cache;  // may be null
  std::shared_ptr<LanguageModel> llm;         // null: DialogueHost::chat fails
  // The language model's requests (they wait on a server, or hold a core for seconds); null: `pool`.
  std::shared_ptr<WorkerPool> llm_pool;
};

// Prometheus families, created once per process (make_conversation_metrics).
struct ConversationMetrics {
  metrics::Family<metrics::Histogram>* stage_seconds = nullptr;  // {stage}
  metrics::Family<metrics::Counter>* barge_ins = nullptr;        // {outcome}: interrupted, resumed
  metrics::Family<metrics::Counter>* engine_errors = nullptr;    // {engine, kind}
  metrics::Family<metrics::Counter>* turns = nullptr;            // {kind}: speech, dtmf, empty
  metrics::Family<metrics::Counter>* fetch_errors = nullptr;     // {kind}: timeout, connect, ..., status
  metrics::Family<metrics::Counter>* llm_requests = nullptr;     // {result}: ok, timeout, status, ...
  metrics::Family<metrics::Counter>* llm_tokens = nullptr;       // {kind}: prompt, completion
};
ConversationMetrics make_conversation_metrics(metrics::Registry& registry);

class Conversation : public media::CallLegObserver,
                     public DialogueHost,
                     public std::enable_shared_from_this<Conversation> {
 public:
  Conversation(ConversationSettings settings, ConversationEngines engines, std::unique_ptr<Dialogue> dialogue,
               CallContext call, ConversationMetrics metrics = {});
  ~Conversation() override;

  // Binds the leg (on the call's thread) and answers. The dialogue starts at on_answered.
  void start(media::CallLeg& leg, boost::asio::any_io_executor executor, bool answer = true);

  const std::vector<TranscriptEntry>& transcript() const { return transcript_; }
  const std::vector<TurnMetrics>& turns() const { return turn_metrics_; }
  // Runs once when the call has ended, with the final transcript and metrics (on the call's thread).
  void on_finished(std::function<void(const Conversation&)> done) { on_finished_ = std::move(done); }

  // media::CallLegObserver
  void on_answered() override;
  void on_audio(const media::AudioFrame& frame) override;
  void on_dtmf(const media::DtmfEvent& event) override;
  void on_hold_changed(bool held_by_remote) override;
  void on_transfer_progress(int sip_status, bool final) override;
  void on_ended(const media::CallEnded& ended) override;

  // DialogueHost
  const CallContext& call() const override { return call_; }
  void say(std::string text, SayOptions options, SaidCallback on_said) override;
  void transfer(std::string target) override;
  void hang_up(HangupReason reason) override;
  void send_dtmf(std::string digits) override;
  void set_language(std::string language) override;
  void set_metadata(std::string key, std::string value) override;
  void fetch(FetchRequest request, std::function<void(FetchResponse)> done) override;
  int start_timer(std::chrono::milliseconds delay, std::function<void()> fire) override;
  void cancel_timer(int id) override;
  int chat(ChatRequest request, ChatCallbacks callbacks) override;
  void cancel_chat(int id) override;

  // Business endpoints (FetchRequest): set by the composition root; without it fetch() answers status 0.
  using Fetcher = std::function<void(FetchRequest, std::function<void(FetchResponse)>)>;
  void set_fetcher(Fetcher fetcher) { fetcher_ = std::move(fetcher); }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  struct Prompt;
  struct PlayItem;
  struct ChatJob;
  using Clock = std::chrono::steady_clock;

  void top_up();
  void schedule_pacing();
  void start_synthesis();
  void on_tts_chunk(std::uint64_t prompt_id, std::vector<std::int16_t> pcm, std::size_t sentence_end);
  void on_tts_done(std::uint64_t prompt_id, bool ok, std::string error, std::string engine,
                   double compute_ms);
  void finish_front_prompt(bool played_fully);
  void run_pending_actions();
  void barge_in();
  void resume_after_backchannel();
  void abandon_paused_prompt();
  void on_speech_ended(const EndpointEvent& event, Clock::time_point caller_stopped);
  // `speech`: from the utterance's first to its last speech frame.
  void on_recognized(Result<Recognition, EngineError> result, Clock::time_point eos_wall, double compute_ms,
                     bool barged_in, std::chrono::milliseconds speech);
  void deliver_turn(UserTurn turn);
  void on_fetched(const std::string& url, const FetchResponse& response);
  void on_chat_text(int id, const std::string& text);
  void finish_chat(int id, Result<ChatResult, ChatError> result);
  void arm_no_input();
  void disarm_no_input();
  void say_fallback();
  bool is_backchannel(std::string_view text) const;
  std::shared_ptr<SpeechSynthesizer> voice_for(const std::string& language) const;
  // The call's language may change mid-call (a flow's set_language): asked per utterance.
  std::shared_ptr<SpeechRecognizer> recognizer_for(const std::string& language) const;
  std::chrono::milliseconds since_start() const;
  void count_error(std::string_view engine, std::string_view kind);
  void observe(std::string_view stage, double ms);
  template <typename F>
  void post(F&& f);

  ConversationSettings settings_;
  ConversationEngines engines_;
  std::unique_ptr<Dialogue> dialogue_;
  CallContext call_;
  ConversationMetrics metrics_;

  media::CallLeg* leg_ = nullptr;
  boost::asio::any_io_executor executor_;
  std::optional<boost::asio::steady_timer> pacing_;
  std::optional<boost::asio::steady_timer> no_input_;
  bool pacing_armed_ = false;
  bool no_input_armed_ = false;
  bool ended_ = false;
  bool hanging_up_ = false;
  bool dialogue_started_ = false;
  Clock::time_point answered_at_{};

  std::unique_ptr<VoiceActivityDetector> vad_;
  VoicedSpeechGate voicing_;
  Endpointer endpointer_;
  std::vector<std::int16_t> pre_roll_;  // ring of the last pre_roll samples
  std::size_t pre_roll_pos_ = 0;
  std::vector<std::int16_t> utterance_;  // reserved once: max_utterance + pre_roll
  bool recognizing_ = false;

  std::deque<std::unique_ptr<PlayItem>> playout_;
  std::uint64_t next_prompt_id_ = 1;
  bool synthesizing_ = false;
  bool paused_ = false;            // barge-in: waiting for the utterance to be recognised
  std::size_t frames_in_leg_ = 0;  // frames of the front prompt handed to the leg and not yet flushed

  std::vector<TranscriptEntry> transcript_;
  std::vector<TurnMetrics> turn_metrics_;
  std::optional<TurnMetrics> open_turn_;  // waiting for the agent's answer
  Clock::time_point turn_final_at_{};
  Clock::time_point reply_at_{};
  Clock::time_point caller_stopped_at_{};
  std::map<std::string, std::string> metadata_;
  Fetcher fetcher_;
  std::map<int, std::unique_ptr<boost::asio::steady_timer>> timers_;
  int next_timer_id_ = 1;
  std::map<int, std::shared_ptr<ChatJob>> chats_;
  int next_chat_id_ = 1;
  std::function<void(const Conversation&)> on_finished_;
};

}  // namespace va::voice
