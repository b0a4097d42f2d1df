#include "voice/conversation.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstring>
#include <set>

#include "common/log.hpp"
#include "voice/text_normalization.hpp"

namespace va::voice {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr auto kPacingPeriod = 40ms;

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::size_t samples_of(std::chrono::milliseconds d) {
  return static_cast<std::size_t>(d.count()) * media::kPipelineSampleRate / 1000;
}

std::chrono::milliseconds duration_of(std::size_t samples) {
  return std::chrono::milliseconds(samples * 1000 / media::kPipelineSampleRate);
}

}  // namespace

ConversationMetrics make_conversation_metrics(metrics::Registry& registry) {
  ConversationMetrics m;
  m.stage_seconds = &registry.histogram(
      "voice_turn_stage_seconds",
      "Per-turn latency by stage: end_of_speech_to_final, final_to_reply, reply_to_first_audio, "
      "first_audio_to_first_frame, total (caller stops speaking -> agent starts), recognition, synthesis",
      {"stage"}, {0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10});
  m.barge_ins = &registry.counter("voice_barge_ins_total",
                                  "Caller speech or DTMF during an agent prompt: interrupted, or resumed "
                                  "(a backchannel or noise)",
                                  {"outcome"});
  m.engine_errors = &registry.counter(
      "voice_engine_errors_total", "Speech engine failures by engine and kind (error, pool_full, no_voice)",
      {"engine", "kind"});
  m.turns = &registry.counter("voice_turns_total", "Caller turns by kind (speech, dtmf, empty)", {"kind"});
  m.fetch_errors = &registry.counter(
      "voice_fetch_errors_total",
      "Business endpoint calls (a flow's http action) without a 2xx answer, by kind: timeout, connect, "
      "resolve, tls, io, response_too_large, bad_response, status (a non-2xx answer), other",
      {"kind"});
  m.llm_requests = &registry.counter(
      "voice_llm_requests_total",
      "Language model requests by result: ok, timeout, connect, status, protocol, cancelled, engine",
      {"result"});
  m.llm_tokens = &registry.counter(
      "voice_llm_tokens_total",
      "Language model tokens by kind (prompt, completion; cached_prompt: prompt tokens not read again), as "
      "the model counted them",
      {"kind"});
  return m;
}

struct Conversation::Prompt {
  std::uint64_t id = 0;
  std::string text;
  std::string language;
  SayOptions options;
  SaidCallback on_said;
  std::vector<std::int16_t> pcm;  // synthesised so far
  std::size_t read = 0;           // samples handed to the leg (rewound to the cut by a barge-in)
  std::vector<std::pair<std::size_t, std::size_t>> sentence_ends;  // (sample, byte in text) per sentence
  bool synth_started = false;
  bool synth_done = false;
  bool used_fallback_voice = false;
  std::size_t synth_from = 0;  // byte of text where synthesis (re)starts: the fallback voice takes over there
  bool fallback_phrase = false;  // this is the fallback phrase itself: no fallback for it
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  Clock::time_point queued_at = Clock::now();
  std::optional<Clock::time_point> first_audio_at;
  std::optional<Clock::time_point> first_frame_at;
  std::chrono::milliseconds started{0};  // call time of its first frame
  bool is_reply = false;                 // the first prompt after a caller turn (for turn metrics)

  // What of the text was played when `samples` had been: whole sentences, then the same share of the words
  // of the sentence being spoken.
  std::string played_text(std::size_t samples) const {
    std::size_t text_end = 0;
    std::size_t sample_start = 0;
    for (const auto& [sample_end, byte_end] : sentence_ends) {
      if (sample_end <= samples) {
        text_end = byte_end;
        sample_start = sample_end;
        continue;
      }
      double share =
          static_cast<double>(samples - sample_start) / static_cast<double>(sample_end - sample_start);
      std::size_t cut = text_end + static_cast<std::size_t>(share * static_cast<double>(byte_end - text_end));
      // Back to the start of the word being spoken (UTF-8 safe: spaces are single bytes).
      while (cut > text_end && text[cut - 1] != ' ') --cut;
      text_end = cut;
      break;
    }
    std::string out = text.substr(0, text_end);
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  }
};

struct Conversation::ChatJob {
  std::shared_ptr<std::atomic<bool>> cancel = std::make_shared<std::atomic<bool>>(false);
  ChatCallbacks callbacks;
  Clock::time_point started = Clock::now();
  bool first_text = true;
};

struct Conversation::PlayItem {
  std::unique_ptr<Prompt> prompt;  // a prompt, or
  std::function<void()> action;    // something to do once the prompts before it have been played
};

Conversation::Conversation(ConversationSettings settings, ConversationEngines engines,
                           std::unique_ptr<Dialogue> dialogue, CallContext call, ConversationMetrics metrics)
    : settings_(std::move(settings)),
      engines_(std::move(engines)),
      dialogue_(std::move(dialogue)),
      call_(std::move(call)),
      metrics_(metrics),
      endpointer_(settings_.endpointing) {
  if (engines_.make_vad) vad_ = engines_.make_vad();
  pre_roll_.assign(samples_of(settings_.pre_roll), 0);
  utterance_.reserve(samples_of(settings_.endpointing.max_utterance) + pre_roll_.size() +
                     media::kFrameSamples);
  for (auto& backchannel : settings_.backchannels) backchannel = normalize_text(backchannel);
}

Conversation::~Conversation() {
  for (auto& item : playout_)
    if (item->prompt) item->prompt->cancel->store(true);
}

template <typename F>
void Conversation::post(F&& f) {
  asio::post(executor_, [weak = weak_from_this(), f = std::forward<F>(f)]() mutable {
    if (auto self = weak.lock(); self && !self->ended_) f(*self);
  });
}

void Conversation::start(media::CallLeg& leg, asio::any_io_executor executor, bool answer) {
  leg_ = &leg;
  executor_ = std::move(executor);
  pacing_.emplace(executor_);
  no_input_.emplace(executor_);
  log::info("conversation started", {{"call_id", call_.call_id},
                                     {"language", call_.language},
                                     {"recognizer", recognizer_for(call_.language)
                                                        ? std::string(recognizer_for(call_.language)->name())
                                                        : std::string("none")},
                                     {"vad", vad_ ? std::string(vad_->name()) : std::string("none")}});
  if (answer) leg.answer();
}

std::chrono::milliseconds Conversation::since_start() const {
  if (answered_at_ == Clock::time_point{}) return 0ms;
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - answered_at_);
}

// --- leg events ------------------------------------------------------------------------------------------

void Conversation::on_answered() {
  if (ended_ || dialogue_started_) return;
  dialogue_started_ = true;
  answered_at_ = Clock::now();
  if (dialogue_) dialogue_->start(*this);
  arm_no_input();
}

// Every frame of the call: allocation-free (tests/unit/voice/conversation_allocation_test.cpp). The utterance
// buffer and the pre-roll ring are sized in the constructor; only an utterance's end allocates (below).
void Conversation::on_audio(const media::AudioFrame& frame) {
  if (ended_) return;
  top_up();
  if (!vad_) return;
  const bool was_idle = !endpointer_.in_onset() && !endpointer_.in_utterance();
  bool speech = vad_->is_speech(frame);
  auto lookback = vad_->decision_lookback();
  if (settings_.require_voicing) {
    speech = voicing_.is_speech(speech, frame, lookback);
    lookback = voicing_.lookback();
  }
  auto event = endpointer_.push(speech, frame.timestamp, lookback);
  const bool active = endpointer_.in_onset() || endpointer_.in_utterance();

  if (was_idle && active) {
    // The utterance starts with the pre-roll (the ring, oldest first), so a soft onset is not lost.
    utterance_.clear();
    utterance_.insert(utterance_.end(), pre_roll_.begin() + static_cast<std::ptrdiff_t>(pre_roll_pos_),
                      pre_roll_.end());
    utterance_.insert(utterance_.end(), pre_roll_.begin(),
                      pre_roll_.begin() + static_cast<std::ptrdiff_t>(pre_roll_pos_));
  }
  if ((active || event) && utterance_.size() + media::kFrameSamples <= utterance_.capacity())
    utterance_.insert(utterance_.end(), frame.samples.begin(), frame.samples.end());
  if (!active && !event) utterance_.clear();  // an onset that came to nothing (a click, a cough)
  // The pre-roll ring always follows the stream.
  if (!pre_roll_.empty()) {
    for (auto sample : frame.samples) {
      pre_roll_[pre_roll_pos_] = sample;
      pre_roll_pos_ = (pre_roll_pos_ + 1) % pre_roll_.size();
    }
  }

  if (!event) return;
  if (event->kind == EndpointEvent::Kind::speech_started) {
    disarm_no_input();
    const bool playing =
        !playout_.empty() && playout_.front()->prompt && playout_.front()->prompt->synth_started;
    if (playing && settings_.barge_in && playout_.front()->prompt->options.interruptible && !paused_)
      barge_in();
    return;
  }
  // speech_ended: when the caller stopped is the event's end, trailing silence ago.
  const auto waited = duration_of(static_cast<std::size_t>((frame.end() - event->end).count()));
  on_speech_ended(*event, Clock::now() - waited);
}

void Conversation::on_dtmf(const media::DtmfEvent& event) {
  if (ended_) return;
  log::info("conversation: dtmf", {{"call_id", call_.call_id}, {"digit", std::string(1, event.digit)}});
  if (!playout_.empty() && playout_.front()->prompt && playout_.front()->prompt->synth_started &&
      playout_.front()->prompt->options.interruptible) {
    if (!paused_) barge_in();
    abandon_paused_prompt();
  }
  TranscriptEntry entry;
  entry.speaker = Speaker::caller;
  entry.text = std::string(1, event.digit);
  entry.dtmf = true;
  entry.start = since_start() - event.duration;
  entry.end = since_start();
  transcript_.push_back(std::move(entry));
  if (metrics_.turns) metrics_.turns->with({"dtmf"}).inc();
  deliver_turn(UserTurn{UserTurn::Kind::dtmf, std::string(1, event.digit), false});
}

void Conversation::on_hold_changed(bool) {}

void Conversation::on_transfer_progress(int sip_status, bool final) {
  log::info("conversation: transfer progress",
            {{"call_id", call_.call_id}, {"status", sip_status}, {"final", final}});
  if (final && sip_status >= 300 && !ended_) {
    // The transfer failed: the call stays with us; tell the caller and listen again.
    hanging_up_ = false;
    say_fallback();
  }
}

void Conversation::on_ended(const media::CallEnded& ended) {
  if (ended_) return;
  ended_ = true;
  if (pacing_) pacing_->cancel();
  if (no_input_) no_input_->cancel();
  for (auto& [id, timer] : timers_) timer->cancel();
  timers_.clear();
  for (auto& [id, job] : chats_) job->cancel->store(true);  // the model stops at its next token
  chats_.clear();
  // A prompt being played when the call ended is kept in the transcript as far as it was played.
  for (auto& item : playout_) {
    if (!item->prompt) continue;
    auto& p = *item->prompt;
    p.cancel->store(true);
    if (p.first_frame_at && leg_) {
      std::size_t played = p.read;
      TranscriptEntry entry;
      entry.speaker = Speaker::agent;
      entry.text = p.played_text(played);
      entry.full_text = p.text;
      entry.start = p.started;
      entry.end = since_start();
      entry.interrupted = played < p.pcm.size() || !p.synth_done;
      entry.cut_at = duration_of(played);
      transcript_.push_back(std::move(entry));
    }
  }
  playout_.clear();
  if (dialogue_) dialogue_->on_call_ended();
  log::info("conversation ended", {{"call_id", call_.call_id},
                                   {"reason", std::string(media::to_string(ended.reason))},
                                   {"turns", static_cast<std::int64_t>(turn_metrics_.size())},
                                   {"transcript_entries", static_cast<std::int64_t>(transcript_.size())}});
  leg_ = nullptr;
  if (on_finished_) on_finished_(*this);
}

// --- listening -------------------------------------------------------------------------------------------

// An utterance boundary, once per caller turn: it allocates (the utterance's copy for the worker, the job,
// the log line), unlike the per-frame path that leads here.
void Conversation::on_speech_ended(const EndpointEvent& event, Clock::time_point caller_stopped) {
  std::vector<std::int16_t> pcm(utterance_.begin(), utterance_.end());
  utterance_.clear();
  const Clock::time_point eos = Clock::now();
  const bool barged = paused_;
  log::debug("conversation: utterance",
             {{"call_id", call_.call_id},
              {"duration_ms", static_cast<std::int64_t>(duration_of(pcm.size()).count())},
              {"forced", event.forced}});
  auto recognizer = recognizer_for(call_.language);
  if (!recognizer) {
    // DTMF-only: speech is heard (it may cut a prompt) but not understood.
    if (paused_) resume_after_backchannel();
    arm_no_input();
    return;
  }
  caller_stopped_at_ = caller_stopped;
  recognizing_ = true;
  const auto speech = duration_of(static_cast<std::size_t>((event.end - event.start).count()));
  std::string language = call_.language;
  auto job = [weak = weak_from_this(), executor = executor_, recognizer, language, pcm = std::move(pcm), eos,
              barged, speech]() mutable {
    auto t0 = Clock::now();
    // A streaming engine's partial text, for the log (the final decides the turn).
    auto on_partial = [&executor, &weak, t0](std::string_view text) {
      asio::post(executor, [weak, text = std::string(text), ms = ms_between(t0, Clock::now())] {
        if (auto self = weak.lock(); self && !self->ended_)
          log::debug("conversation: partial",
                     {{"call_id", self->call_.call_id}, {"text", text}, {"after_ms", ms}});
      });
    };
    auto result = recognizer->recognize(pcm, language, on_partial);
    double compute = ms_between(t0, Clock::now());
    asio::post(executor, [weak, result = std::move(result), eos, compute, barged, speech]() mutable {
      if (auto self = weak.lock(); self && !self->ended_)
        self->on_recognized(std::move(result), eos, compute, barged, speech);
    });
  };
  if (!engines_.pool || !engines_.pool->submit(std::move(job))) {
    recognizing_ = false;
    count_error(recognizer->name(), "pool_full");
    log::warn("conversation: no worker free for recognition", {{"call_id", call_.call_id}});
    if (paused_) abandon_paused_prompt();
    say_fallback();
  }
}

void Conversation::on_recognized(Result<Recognition, EngineError> result, Clock::time_point eos,
                                 double compute_ms, bool barged_in, std::chrono::milliseconds speech) {
  recognizing_ = false;
  const auto final_at = Clock::now();
  observe("recognition", compute_ms);
  if (!result) {
    count_error(result.error().engine, "error");
    log::error("conversation: recognition failed",
               {{"call_id", call_.call_id}, {"error", result.error().to_string()}});
    if (paused_) abandon_paused_prompt();
    say_fallback();
    return;
  }
  std::string text = result->text;
  log::info(
      "conversation: caller said",
      {{"call_id", call_.call_id}, {"text", text}, {"recognition_ms", compute_ms}, {"barge_in", barged_in}});
  if (paused_) {
    const bool unclear = speech <= settings_.unclear_interruption_max && dialogue_ &&
                         !dialogue_->understands(UserTurn{UserTurn::Kind::speech, text, true});
    if (text.empty() || is_backchannel(text) || unclear) {
      resume_after_backchannel();
      if (!text.empty()) {
        TranscriptEntry entry;
        entry.speaker = Speaker::caller;
        entry.text = text;
        entry.start = entry.end = since_start();
        transcript_.push_back(std::move(entry));
      }
      return;
    }
    abandon_paused_prompt();
  } else if (!text.empty() && is_backchannel(text) && !playout_.empty()) {
    return;  // "угу" while the agent goes on: nothing to answer
  }
  if (normalize_text(text).empty()) {
    if (metrics_.turns) metrics_.turns->with({"empty"}).inc();
    arm_no_input();
    return;
  }
  TranscriptEntry entry;
  entry.speaker = Speaker::caller;
  entry.text = text;
  entry.end = since_start() - std::chrono::duration_cast<std::chrono::milliseconds>(eos - caller_stopped_at_);
  entry.start = entry.end;
  transcript_.push_back(std::move(entry));
  if (metrics_.turns) metrics_.turns->with({"speech"}).inc();

  TurnMetrics turn;
  turn.end_of_speech_to_final = ms_between(eos, final_at);
  turn.endpointing = ms_between(caller_stopped_at_, eos);
  turn.recognition_compute = compute_ms;
  open_turn_ = turn;
  turn_final_at_ = final_at;
  deliver_turn(UserTurn{UserTurn::Kind::speech, std::move(text), barged_in});
}

void Conversation::deliver_turn(UserTurn turn) {
  disarm_no_input();
  if (!dialogue_ || ended_) return;
  if (turn.kind == UserTurn::Kind::dtmf) {
    open_turn_.reset();  // latency turns are speech turns
  }
  dialogue_->on_user_turn(turn);
  // The dialogue said nothing in answer, and is not waiting for its model: the turn closes without an agent
  // reply. (While the model writes, the turn stays open for its first sentence.)
  if (open_turn_ && !open_turn_->final_to_reply && chats_.empty()) {
    turn_metrics_.push_back(*open_turn_);
    open_turn_.reset();
  }
  arm_no_input();
}

bool Conversation::is_backchannel(std::string_view text) const {
  auto normalized = normalize_text(text);
  return std::find(settings_.backchannels.begin(), settings_.backchannels.end(), normalized) !=
         settings_.backchannels.end();
}

// --- speaking --------------------------------------------------------------------------------------------

void Conversation::say(std::string text, SayOptions options, SaidCallback on_said) {
  if (ended_) return;
  auto prompt = std::make_unique<Prompt>();
  prompt->id = next_prompt_id_++;
  prompt->text = std::move(text);
  prompt->language = call_.language;
  prompt->options = options;
  prompt->on_said = std::move(on_said);
  if (open_turn_ && !open_turn_->final_to_reply) {
    open_turn_->final_to_reply = ms_between(turn_final_at_, Clock::now());
    prompt->is_reply = true;
    reply_at_ = Clock::now();
  }
  const auto voice = voice_for(prompt->language);
  log::info("conversation: agent says",
            {{"call_id", call_.call_id},
             {"text", prompt->text},
             {"voice", voice ? std::string(voice->name()) : std::string("none")}});
  disarm_no_input();
  auto item = std::make_unique<PlayItem>();
  item->prompt = std::move(prompt);
  playout_.push_back(std::move(item));
  start_synthesis();
  top_up();
}

std::shared_ptr<SpeechRecognizer> Conversation::recognizer_for(const std::string& language) const {
  auto it = engines_.recognizers.find(language);
  return it != engines_.recognizers.end() ? it->second : engines_.recognizer;
}

std::shared_ptr<SpeechSynthesizer> Conversation::voice_for(const std::string& language) const {
  auto it = engines_.voices.find(language);
  if (it != engines_.voices.end() && it->second) return it->second;
  return engines_.fallback_voice;
}

void Conversation::start_synthesis() {
  if (synthesizing_ || ended_) return;
  for (auto& item : playout_) {
    if (!item->prompt || item->prompt->synth_started) continue;
    Prompt& p = *item->prompt;
    p.synth_started = true;
    auto voice = p.used_fallback_voice ? engines_.fallback_voice : voice_for(p.language);
    if (!voice) {
      count_error("none", "no_voice");
      log::error("conversation: no voice for the language",
                 {{"call_id", call_.call_id}, {"language", p.language}});
      p.synth_done = true;
      continue;
    }
    // The fallback voice has a key of its own: it may be the same engine as the call's voice (espeak-ng with
    // another voice), whose failure must not be hidden by the fallback's audio on the next call.
    std::string cache_voice(voice->name());
    if (p.used_fallback_voice) cache_voice += "/fallback";
    // Only a prompt synthesised whole by one voice is cached.
    const bool cacheable = p.options.cacheable && engines_.prompt_cache && p.synth_from == 0;
    if (cacheable) {
      if (auto audio = engines_.prompt_cache->find(cache_voice, p.language, p.text)) {
        p.pcm = *audio;
        p.sentence_ends.emplace_back(p.pcm.size(), p.text.size());
        p.first_audio_at = Clock::now();
        p.synth_done = true;
        continue;
      }
    }
    synthesizing_ = true;
    auto job = [weak = weak_from_this(), executor = executor_, voice, text = p.text.substr(p.synth_from),
                offset = p.synth_from, language = p.language, id = p.id, cancel = p.cancel, cache_voice,
                cache = cacheable ? engines_.prompt_cache : nullptr]() {
      auto t0 = Clock::now();
      std::vector<std::int16_t> whole;
      auto deliver = [&](std::vector<std::int16_t> chunk, std::size_t sentence_end) {
        asio::post(executor, [weak, id, chunk = std::move(chunk), sentence_end]() mutable {
          if (auto self = weak.lock(); self && !self->ended_)
            self->on_tts_chunk(id, std::move(chunk), sentence_end);
        });
      };
      for (const auto& sentence : split_sentences(text)) {
        auto result = voice->synthesize(sentence.text, language, [&](std::span<const std::int16_t> pcm) {
          if (cancel->load()) return false;
          if (cache) whole.insert(whole.end(), pcm.begin(), pcm.end());
          deliver(std::vector<std::int16_t>(pcm.begin(), pcm.end()), std::string::npos);
          return true;
        });
        if (!result) {
          asio::post(executor,
                     [weak, id, error = result.error().to_string(), engine = result.error().engine] {
                       if (auto self = weak.lock(); self && !self->ended_)
                         self->on_tts_done(id, false, error, engine, 0);
                     });
          return;
        }
        if (result->stopped || cancel->load()) break;
        deliver({}, offset + sentence.end);
      }
      if (cache && !cancel->load())
        cache->store(cache_voice, language, text,
                     std::make_shared<const std::vector<std::int16_t>>(std::move(whole)));
      double compute = ms_between(t0, Clock::now());
      asio::post(executor, [weak, id, compute] {
        if (auto self = weak.lock(); self && !self->ended_) self->on_tts_done(id, true, {}, {}, compute);
      });
    };
    if (!engines_.pool || !engines_.pool->submit(std::move(job), WorkerPool::Priority::urgent)) {
      synthesizing_ = false;
      count_error(voice->name(), "pool_full");
      log::warn("conversation: no worker free for synthesis: prompt skipped", {{"call_id", call_.call_id}});
      p.synth_done = true;
      continue;
    }
    return;
  }
}

// A chunk of synthesised audio from the worker (an engine boundary, a few per sentence): the prompt's buffer
// grows here. The pacing ticks that play it out (top_up) allocate nothing.
void Conversation::on_tts_chunk(std::uint64_t id, std::vector<std::int16_t> pcm, std::size_t sentence_end) {
  for (auto& item : playout_) {
    if (!item->prompt || item->prompt->id != id) continue;
    Prompt& p = *item->prompt;
    if (!pcm.empty() && !p.first_audio_at) p.first_audio_at = Clock::now();
    p.pcm.insert(p.pcm.end(), pcm.begin(), pcm.end());
    if (sentence_end != std::string::npos) p.sentence_ends.emplace_back(p.pcm.size(), sentence_end);
    break;
  }
  top_up();
}

void Conversation::on_tts_done(std::uint64_t id, bool ok, std::string error, std::string engine,
                               double compute_ms) {
  synthesizing_ = false;
  for (auto& item : playout_) {
    if (!item->prompt || item->prompt->id != id) continue;
    Prompt& p = *item->prompt;
    if (!ok) {
      count_error(engine, "error");
      log::error("conversation: synthesis failed", {{"call_id", call_.call_id}, {"error", error}});
      if (!p.used_fallback_voice && engines_.fallback_voice) {
        // Say it in the fallback voice rather than not at all: from the sentence that failed (the sentences
        // before it were said by the call's voice). Audio of the failed sentence not yet handed to the leg
        // is dropped; what was played of it is said again from its start.
        const auto [sample, byte] =
            p.sentence_ends.empty() ? std::pair<std::size_t, std::size_t>{0, 0} : p.sentence_ends.back();
        p.pcm.resize(std::max(sample, std::min(p.read, p.pcm.size())));
        p.synth_from = byte;
        p.used_fallback_voice = true;
        p.synth_started = false;
        break;
      }
    } else {
      observe("synthesis", compute_ms);
    }
    if (p.sentence_ends.empty() || p.sentence_ends.back().first != p.pcm.size())
      p.sentence_ends.emplace_back(p.pcm.size(), p.text.size());
    p.synth_done = true;
    break;
  }
  start_synthesis();
  top_up();
}

void Conversation::schedule_pacing() {
  if (pacing_armed_ || !pacing_ || ended_) return;
  pacing_armed_ = true;
  pacing_->expires_after(kPacingPeriod);
  pacing_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self) return;
    self->pacing_armed_ = false;
    if (!ec && !self->ended_) self->top_up();
  });
}

void Conversation::top_up() {
  if (!leg_ || ended_ || paused_) return;
  while (!playout_.empty()) {
    auto& item = *playout_.front();
    if (item.action) {
      if (leg_->queued_audio_frames() > 0) return schedule_pacing();  // let the last prompt reach the wire
      auto action = std::move(item.action);
      playout_.pop_front();
      action();
      if (ended_ || !leg_) return;
      continue;
    }
    Prompt& p = *item.prompt;
    if (!p.synth_started) start_synthesis();
    while (leg_->queued_audio_frames() < settings_.lookahead_frames) {
      const std::size_t available = p.pcm.size() - std::min(p.read, p.pcm.size());
      if (available < media::kFrameSamples && !(p.synth_done && available > 0)) break;
      media::AudioFrame frame;  // zero-filled: the last frame of a prompt is padded with silence
      const std::size_t n = std::min(available, media::kFrameSamples);
      std::memcpy(frame.samples.data(), p.pcm.data() + p.read, n * sizeof(std::int16_t));
      if (!leg_->send_audio(frame)) break;
      p.read += n;
      if (!p.first_frame_at) {
        p.first_frame_at = Clock::now();
        p.started = since_start();
        if (p.is_reply && open_turn_) {
          auto& turn = *open_turn_;
          if (p.first_audio_at) {
            turn.reply_to_first_audio = ms_between(reply_at_, *p.first_audio_at);
            turn.first_audio_to_first_frame = ms_between(*p.first_audio_at, *p.first_frame_at);
          }
          turn.total = ms_between(caller_stopped_at_, *p.first_frame_at);
          if (turn.end_of_speech_to_final) observe("end_of_speech_to_final", *turn.end_of_speech_to_final);
          if (turn.final_to_reply) observe("final_to_reply", *turn.final_to_reply);
          if (turn.reply_to_first_audio) observe("reply_to_first_audio", *turn.reply_to_first_audio);
          if (turn.first_audio_to_first_frame)
            observe("first_audio_to_first_frame", *turn.first_audio_to_first_frame);
          observe("total", *turn.total);
          turn_metrics_.push_back(turn);
          open_turn_.reset();
        }
      }
    }
    if (p.synth_done && p.read >= p.pcm.size()) {
      if (leg_->queued_audio_frames() > 0) return schedule_pacing();
      finish_front_prompt(true);
      continue;
    }
    return schedule_pacing();
  }
  arm_no_input();
}

void Conversation::finish_front_prompt(bool played_fully) {
  auto item = std::move(playout_.front());
  playout_.pop_front();
  Prompt& p = *item->prompt;
  if (p.first_frame_at) {
    TranscriptEntry entry;
    entry.speaker = Speaker::agent;
    entry.text = played_fully ? p.text : p.played_text(p.read);
    entry.start = p.started;
    entry.end = since_start();
    entry.interrupted = !played_fully;
    if (!played_fully) {
      entry.cut_at = duration_of(p.read);
      entry.full_text = p.text;
    }
    transcript_.push_back(std::move(entry));
  }
  if (p.on_said) p.on_said(Said{played_fully, played_fully ? p.text : p.played_text(p.read)});
}

void Conversation::barge_in() {
  if (playout_.empty() || !playout_.front()->prompt || !leg_) return;
  Prompt& p = *playout_.front()->prompt;
  const std::size_t queued = leg_->queued_audio_frames() * media::kFrameSamples;
  leg_->flush_audio();
  p.read -= std::min(p.read, queued);
  paused_ = true;
  log::info(
      "conversation: barge-in",
      {{"call_id", call_.call_id}, {"played_ms", static_cast<std::int64_t>(duration_of(p.read).count())}});
}

void Conversation::resume_after_backchannel() {
  paused_ = false;
  if (metrics_.barge_ins) metrics_.barge_ins->with({"resumed"}).inc();
  log::info("conversation: prompt resumed (backchannel or noise)", {{"call_id", call_.call_id}});
  top_up();
}

void Conversation::abandon_paused_prompt() {
  paused_ = false;
  if (metrics_.barge_ins) metrics_.barge_ins->with({"interrupted"}).inc();
  // The prompt being played, and any prompts queued behind it, give way to the caller; queued actions
  // (a transfer, a hang-up) stay.
  std::deque<std::unique_ptr<PlayItem>> kept;
  bool first = true;
  while (!playout_.empty()) {
    auto& front = playout_.front();
    if (front->prompt) {
      front->prompt->cancel->store(true);
      if (first) {
        finish_front_prompt(false);
        first = false;
        continue;
      }
      if (front->prompt->on_said) front->prompt->on_said(Said{false, {}});
    } else {
      kept.push_back(std::move(front));
    }
    playout_.pop_front();
  }
  playout_ = std::move(kept);
  synthesizing_ = false;  // a cancelled job's late completion is ignored (its prompt is gone)
}

// --- actions ---------------------------------------------------------------------------------------------

void Conversation::transfer(std::string target) {
  if (ended_) return;
  log::info("conversation: transfer", {{"call_id", call_.call_id}, {"target", target}});
  hanging_up_ = true;
  auto item = std::make_unique<PlayItem>();
  item->action = [this, target] {
    if (leg_) leg_->transfer(target);
  };
  playout_.push_back(std::move(item));
  top_up();
}

void Conversation::hang_up(HangupReason reason) {
  if (ended_) return;
  log::info("conversation: hang up",
            {{"call_id", call_.call_id}, {"reason", std::string(to_string(reason))}});
  metadata_["hangup_reason"] = std::string(to_string(reason));
  hanging_up_ = true;
  disarm_no_input();
  auto item = std::make_unique<PlayItem>();
  item->action = [this] {
    if (leg_) leg_->hangup(media::EndReason::local_hangup);
  };
  playout_.push_back(std::move(item));
  top_up();
}

void Conversation::send_dtmf(std::string digits) {
  auto item = std::make_unique<PlayItem>();
  item->action = [this, digits] {
    auto delay = 0ms;
    for (char digit : digits) {
      start_timer(delay, [this, digit] {
        if (leg_) leg_->send_dtmf(digit, 100ms);
      });
      delay += 200ms;  // 100 ms tone, its end packets, and a pause
    }
  };
  playout_.push_back(std::move(item));
  top_up();
}

void Conversation::set_language(std::string language) {
  call_.language = std::move(language);
}

void Conversation::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

void Conversation::fetch(FetchRequest request, std::function<void(FetchResponse)> done) {
  if (!fetcher_) {
    FetchResponse none;
    none.error = "no HTTP client configured";
    post([done = std::move(done), none, url = request.url](Conversation& self) {
      self.on_fetched(url, none);
      done(none);
    });
    return;
  }
  std::string url = request.url;
  fetcher_(std::move(request), [weak = weak_from_this(), executor = executor_, done = std::move(done),
                                url = std::move(url)](FetchResponse response) mutable {
    asio::post(executor,
               [weak, done = std::move(done), response = std::move(response), url = std::move(url)]() {
                 if (auto self = weak.lock(); self && !self->ended_) {
                   self->on_fetched(url, response);
                   done(response);
                 }
               });
  });
}

// A failed business call is the flow's to handle (its `error`/`timeout` branch says what the caller hears);
// the conversation logs and counts it, so an endpoint that stops answering shows up in the metrics.
void Conversation::on_fetched(const std::string& url, const FetchResponse& response) {
  if (response.status >= 200 && response.status < 300) return;
  std::string kind = "status";
  if (response.status == 0) {
    // The fetcher reports "<kind>: <message>" (http::to_string(ClientErrorKind)).
    kind = response.error.substr(0, response.error.find(':'));
    static const std::set<std::string, std::less<>> known{
        "timeout", "connect", "resolve", "tls", "io", "response_too_large", "bad_response"};
    if (!known.contains(kind)) kind = "other";
  }
  if (metrics_.fetch_errors) metrics_.fetch_errors->with({kind}).inc();
  log::warn("conversation: business endpoint failed", {{"call_id", call_.call_id},
                                                       {"url", url},
                                                       {"kind", kind},
                                                       {"status", response.status},
                                                       {"error", response.error}});
}

int Conversation::start_timer(std::chrono::milliseconds delay, std::function<void()> fire) {
  if (ended_) return 0;
  const int id = next_timer_id_++;
  auto timer = std::make_unique<asio::steady_timer>(executor_);
  timer->expires_after(delay);
  timer->async_wait(
      [weak = weak_from_this(), id, fire = std::move(fire)](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (!self || ec || self->ended_) return;
        self->timers_.erase(id);
        fire();
      });
  timers_.emplace(id, std::move(timer));
  return id;
}

void Conversation::cancel_timer(int id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

// --- the language model ---------------------------------------------------------------------------------

int Conversation::chat(ChatRequest request, ChatCallbacks callbacks) {
  const int id = next_chat_id_++;
  if (ended_) return id;
  auto job = std::make_shared<ChatJob>();
  job->callbacks = std::move(callbacks);
  chats_.emplace(id, job);
  auto fail = [this, id](ChatError::Kind kind, std::string message) {
    post([id, kind, message = std::move(message)](Conversation& self) {
      self.finish_chat(id, ChatError{kind, "llm", message});
    });
  };
  const auto model = engines_.llm;
  if (!model) {
    fail(ChatError::Kind::engine, "no language model configured (agent.engines.llm)");
    return id;
  }
  auto work = [weak = weak_from_this(), executor = executor_, id, model, cancel = job->cancel,
               request = std::move(request)] {
    auto on_text = [&weak, &executor, id](std::string_view text) {
      asio::post(executor, [weak, id, text = std::string(text)] {
        if (auto self = weak.lock(); self && !self->ended_) self->on_chat_text(id, text);
      });
    };
    auto result = model->complete(request, on_text, *cancel);
    asio::post(executor, [weak, id, result = std::move(result)]() mutable {
      if (auto self = weak.lock(); self && !self->ended_) self->finish_chat(id, std::move(result));
    });
  };
  const auto& pool = engines_.llm_pool ? engines_.llm_pool : engines_.pool;
  if (!pool || !pool->submit(std::move(work))) {
    count_error(model->name(), "pool_full");
    fail(ChatError::Kind::engine, "no worker free for the language model");
  }
  return id;
}

void Conversation::cancel_chat(int id) {
  auto it = chats_.find(id);
  if (it == chats_.end()) return;
  it->second->cancel->store(true);
  auto job = it->second;
  chats_.erase(it);
  if (metrics_.llm_requests) metrics_.llm_requests->with({"cancelled"}).inc();
  post([job](Conversation&) {
    if (job->callbacks.on_done)
      job->callbacks.on_done(ChatError{ChatError::Kind::cancelled, "llm", "cancelled"});
  });
}

void Conversation::on_chat_text(int id, const std::string& text) {
  auto it = chats_.find(id);
  if (it == chats_.end()) return;
  auto job = it->second;
  if (job->first_text) {
    job->first_text = false;
    const double ms = ms_between(job->started, Clock::now());
    observe("llm_first_token", ms);
    if (open_turn_ && !open_turn_->llm_first_token) open_turn_->llm_first_token = ms;
  }
  if (job->callbacks.on_text) job->callbacks.on_text(text);
}

void Conversation::finish_chat(int id, Result<ChatResult, ChatError> result) {
  auto it = chats_.find(id);
  if (it == chats_.end()) return;
  auto job = it->second;
  chats_.erase(it);
  if (metrics_.llm_requests)
    metrics_.llm_requests->with({result ? std::string("ok") : std::string(to_string(result.error().kind))})
        .inc();
  if (result && metrics_.llm_tokens) {
    if (result->prompt_tokens > 0) metrics_.llm_tokens->with({"prompt"}).inc(result->prompt_tokens);
    if (result->completion_tokens > 0)
      metrics_.llm_tokens->with({"completion"}).inc(result->completion_tokens);
    if (result->cached_prompt_tokens > 0)
      metrics_.llm_tokens->with({"cached_prompt"}).inc(result->cached_prompt_tokens);
  }
  if (!result) {
    const auto& error = result.error();
    if (error.kind != ChatError::Kind::cancelled) {
      count_error(error.engine, to_string(error.kind));
      log::warn("conversation: language model failed", {{"call_id", call_.call_id},
                                                        {"kind", std::string(to_string(error.kind))},
                                                        {"error", error.message}});
    }
  } else {
    observe("llm_complete", ms_between(job->started, Clock::now()));
  }
  if (job->callbacks.on_done) job->callbacks.on_done(std::move(result));
  if (open_turn_ && !open_turn_->final_to_reply && chats_.empty() && playout_.empty()) {
    turn_metrics_.push_back(*open_turn_);  // the model's answer was never spoken (a failure said nothing)
    open_turn_.reset();
  }
}

// --- no input, fallbacks, metrics ------------------------------------------------------------------------

void Conversation::arm_no_input() {
  if (ended_ || !dialogue_started_ || hanging_up_ || !no_input_ || !playout_.empty() || recognizing_ ||
      endpointer_.in_utterance() || settings_.no_input_timeout.count() <= 0 || no_input_armed_)
    return;
  no_input_armed_ = true;
  no_input_->expires_after(settings_.no_input_timeout);
  no_input_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec) return;
    self->no_input_armed_ = false;
    if (self->ended_ || !self->dialogue_) return;
    if (!self->playout_.empty() || self->recognizing_ || self->endpointer_.in_utterance()) return;
    self->dialogue_->on_no_input();
    self->arm_no_input();
  });
}

void Conversation::disarm_no_input() {
  no_input_armed_ = false;
  if (no_input_) no_input_->cancel();
}

void Conversation::say_fallback() {
  auto it = settings_.fallback_phrases.find(call_.language);
  if (it == settings_.fallback_phrases.end()) it = settings_.fallback_phrases.find("en");
  if (it == settings_.fallback_phrases.end()) return;
  SayOptions options;
  options.cacheable = true;
  say(it->second, options, {});
  if (!playout_.empty() && playout_.back()->prompt) playout_.back()->prompt->fallback_phrase = true;
}

void Conversation::count_error(std::string_view engine, std::string_view kind) {
  if (metrics_.engine_errors) metrics_.engine_errors->with({std::string(engine), std::string(kind)}).inc();
}

void Conversation::observe(std::string_view stage, double ms) {
  if (metrics_.stage_seconds) metrics_.stage_seconds->with({std::string(stage)}).observe(ms / 1000.0);
}

}  // namespace va::voice
