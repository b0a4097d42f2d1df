#include "app/conversation_flows.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/log.hpp"
#include "engines/fallback_engines.hpp"
#include "engines/llm/llama_model.hpp"
#include "engines/llm/openai_chat_model.hpp"
#include "http/client.hpp"
#include "voice/flow/flow_dialogue.hpp"
#include "voice/flow/flow_loader.hpp"
#include "voice/llm/llm_dialogue.hpp"

namespace va::app {
namespace {

// Business requests in flight at once, and waiting beyond those (a flow's `http` action; each is bounded by
// its timeout).
constexpr std::size_t kHttpWorkers = 4;
constexpr std::size_t kHttpQueue = 64;

std::string language_code(config::Language language) {
  return language == config::Language::en ? "en" : "ru";
}

// Business endpoints (a flow's `http` action): a blocking request on the worker pool, so neither the
// call's thread nor the SIP strand waits for it.
voice::Conversation::Fetcher make_fetcher(std::shared_ptr<voice::WorkerPool> pool) {
  return [pool](voice::FetchRequest request, std::function<void(voice::FetchResponse)> done) {
    auto job = [request, done] {
      voice::FetchResponse response;
      std::string error;
      auto origin = http::Origin::parse(request.url, error);
      if (!origin) {
        response.error = "bad url '" + request.url + "': " + error;
        return done(response);
      }
      // Origin::parse keeps the path as base_path; the request goes to exactly that path.
      std::string target = origin->base_path.empty() ? "/" : origin->base_path;
      origin->base_path.clear();
      http::ClientOptions options;
      options.connect_timeout = request.timeout;
      options.request_timeout = request.timeout;
      http::Client client(*origin, options);
      std::vector<http::Header> headers{{"Content-Type", "application/json"}, {"Accept", "application/json"}};
      for (const auto& [name, value] : request.headers) headers.push_back({name, value});
      auto result = client.request(request.method, target, headers, request.body);
      if (auto* ok = std::get_if<http::ClientResponse>(&result)) {
        response.status = static_cast<int>(ok->status);
        response.body = std::move(ok->body);
      } else {
        const auto& failure = std::get<http::ClientError>(result);
        response.error = std::string(http::to_string(failure.kind)) + ": " + failure.message;
      }
      done(response);
    };
    if (!pool->submit(std::move(job))) {
      voice::FetchResponse busy;
      busy.error = "no worker free for the request";
      done(busy);
    }
  };
}

// agent.llm → what the AI dialogue is told and may do.
std::shared_ptr<voice::llm::LlmSettings> llm_settings(const config::Agent& agent) {
  auto out = std::make_shared<voice::llm::LlmSettings>();
  const auto& c = agent.llm;
  out->system_prompt = c.system_prompt;
  if (!agent.greeting.empty()) out->greeting[language_code(agent.language)] = agent.greeting;
  for (const auto& t : c.transfer_targets) out->transfer_targets[t.name] = t.target;
  for (const auto& t : c.tools) {
    voice::llm::HttpTool tool;
    tool.name = t.name;
    tool.description = t.description;
    tool.url = t.url;
    tool.method = t.method;
    tool.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(t.timeout);
    for (const auto& h : t.headers) tool.headers[h.name] = h.value;
    nlohmann::json properties = nlohmann::json::object();
    nlohmann::json required = nlohmann::json::array();
    for (const auto& p : t.parameters) {
      nlohmann::json property{{"type", p.type}};
      if (!p.description.empty()) property["description"] = p.description;
      if (!p.values.empty()) property["enum"] = p.values;
      properties[p.name] = std::move(property);
      if (p.required) required.push_back(p.name);
    }
    tool.parameters =
        nlohmann::json{{"type", "object"}, {"properties", properties}, {"required", required}}.dump();
    out->tools.push_back(std::move(tool));
  }
  out->max_tokens = static_cast<int>(c.max_tokens);
  out->temperature = c.temperature;
  out->timeout = std::chrono::duration_cast<std::chrono::milliseconds>(c.timeout);
  out->max_turns = static_cast<int>(c.max_turns);
  out->max_call_tokens = static_cast<int>(c.max_call_tokens);
  out->failure_transfer = c.failure_transfer;
  return out;
}

}  // namespace

Result<std::shared_ptr<voice::LanguageModel>, voice::ChatError> make_language_model(
    const config::Agent& agent) {
  if (agent.engines.llm == "openai") {
    engines::llm::OpenAiChatSettings settings;
    settings.base_url = agent.llm.base_url;
    settings.model = agent.llm.model;
    settings.api_key = agent.llm.api_key;
    return engines::llm::make_openai_chat_model(settings);
  }
  if (agent.engines.llm == "llama.cpp") {
    engines::LlamaSettings settings;
    settings.model = agent.llm.gguf;
    settings.threads = static_cast<int>(agent.llm.threads);
    settings.context = static_cast<int>(agent.llm.context);
    return engines::make_llama_model(settings);
  }
  return std::shared_ptr<voice::LanguageModel>();
}

namespace {

class ConversationHandler final : public media::CallHandler {
 public:
  explicit ConversationHandler(std::shared_ptr<ConversationService> service) : service_(std::move(service)) {}

  void start(media::CallLeg& leg, const media::CallInfo& info) override {
    voice::CallContext call;
    call.call_id = info.call_id;
    call.caller = info.caller;
    call.dialed = info.dialed;
    call.language = info.language.empty() ? service_->default_language : info.language;
    auto dialogue = service_->dialogue ? service_->dialogue(call) : nullptr;
    conversation_ = std::make_shared<voice::Conversation>(service_->settings, service_->engines,
                                                          std::move(dialogue), call, service_->metrics);
    conversation_->set_fetcher(service_->fetcher);
    conversation_->on_finished(
        [service = service_, record_id = info.record_id](const voice::Conversation& c) {
          if (service->finished && !record_id.empty()) service->finished(record_id, c);
          for (const auto& entry : c.transcript())
            log::info("transcript", {{"call_id", c.call().call_id},
                                     {"speaker", std::string(voice::to_string(entry.speaker))},
                                     {"text", entry.text},
                                     {"start_ms", static_cast<std::int64_t>(entry.start.count())},
                                     {"interrupted", entry.interrupted}});
          for (const auto& turn : c.turns())
            log::info("turn latency",
                      {{"call_id", c.call().call_id},
                       {"total_ms", turn.total.value_or(-1)},
                       {"endpointing_ms", turn.endpointing.value_or(-1)},
                       {"end_of_speech_to_final_ms", turn.end_of_speech_to_final.value_or(-1)},
                       {"final_to_reply_ms", turn.final_to_reply.value_or(-1)},
                       {"reply_to_first_audio_ms", turn.reply_to_first_audio.value_or(-1)},
                       {"first_audio_to_first_frame_ms", turn.first_audio_to_first_frame.value_or(-1)},
                       {"recognition_ms", turn.recognition_compute.value_or(-1)},
                       {"llm_ttft_ms", turn.llm_first_token.value_or(-1)}});
        });
    conversation_->start(leg, info.executor, !info.outbound);
  }
  void on_answered() override { conversation_->on_answered(); }
  void on_audio(const media::AudioFrame& frame) override { conversation_->on_audio(frame); }
  void on_dtmf(const media::DtmfEvent& event) override { conversation_->on_dtmf(event); }
  void on_hold_changed(bool held) override { conversation_->on_hold_changed(held); }
  void on_transfer_progress(int status, bool final) override {
    conversation_->on_transfer_progress(status, final);
  }
  void on_ended(const media::CallEnded& ended) override { conversation_->on_ended(ended); }

 private:
  std::shared_ptr<ConversationService> service_;
  std::shared_ptr<voice::Conversation> conversation_;
};

}  // namespace

// agent.speech_api as the `openai` engines take it.
engines::RemoteEngineSettings speech_api_settings(const config::SpeechApi& api, const std::string& model,
                                                  const std::string& fallback) {
  engines::RemoteEngineSettings remote;
  remote.base_url = api.base_url;
  remote.api_key = api.api_key;
  remote.model = model;
  remote.voice = api.voice;
  remote.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(api.timeout);
  remote.fallback = fallback;
  return remote;
}

LanguageEngineChoice engines_for_language(const config::Agent& agent, const std::string& language) {
  LanguageEngineChoice choice{agent.engines.stt, agent.engines.tts,
                              language == language_code(agent.language) ? agent.voice : std::string()};
  for (const auto& o : agent.engines.languages) {
    if (language_code(o.language) != language) continue;
    if (!o.stt.empty()) choice.stt = o.stt;
    if (!o.tts.empty()) choice.tts = o.tts;
    if (!o.voice.empty() || !o.tts.empty()) choice.voice = o.voice;  // another engine: not agent.voice
  }
  return choice;
}

ConversationSetup make_conversation_service(const config::Config& cfg,
                                            const engines::EngineRegistry& registry,
                                            metrics::Registry& metrics) {
  ConversationSetup setup;
  auto service = std::make_shared<ConversationService>();
  const auto& agent = cfg.agent;
  const auto& tuning = agent.conversation;
  service->default_language = language_code(agent.language);

  auto& s = service->settings;
  s.endpointing.min_speech = std::chrono::duration_cast<std::chrono::milliseconds>(tuning.min_speech);
  s.endpointing.trailing_silence =
      std::chrono::duration_cast<std::chrono::milliseconds>(tuning.trailing_silence);
  s.endpointing.max_utterance = std::chrono::duration_cast<std::chrono::milliseconds>(tuning.max_utterance);
  s.no_input_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(tuning.no_input_timeout);
  s.barge_in = tuning.barge_in;
  s.require_voicing = tuning.require_voicing;
  s.unclear_interruption_max =
      std::chrono::duration_cast<std::chrono::milliseconds>(tuning.unclear_interruption_max);
  s.backchannels = tuning.backchannels;

  auto problem = [&](std::string text) {
    log::error("voice engine unavailable", {{"problem", text}});
    service->problems.push_back(std::move(text));
  };

  const std::size_t workers = tuning.workers > 0 ? static_cast<std::size_t>(tuning.workers)
                                                 : std::max(1u, std::thread::hardware_concurrency());
  auto pool =
      std::make_shared<voice::WorkerPool>(workers, static_cast<std::size_t>(tuning.queue), "voice-engine");
  auto& e = service->engines;
  e.pool = pool;
  e.prompt_cache = std::make_shared<voice::PromptCache>();

  engines::EngineSettings vad_settings;
  vad_settings.aggressiveness = static_cast<int>(tuning.vad_aggressiveness);
  // Without its VAD or recogniser the agent could not hear or understand a caller: a configuration error
  // that stops the start (`voice-agent check` reports the same), unlike a voice, which has a fallback.
  if (auto vad = registry.make_vad(agent.engines.vad, vad_settings)) {
    e.make_vad = *vad;
  } else {
    setup.error = "agent.engines.vad: " + vad.error().to_string();
    return setup;
  }

  // A recogniser that cannot be made stops the start: its calls would be deaf. (agent.engines.stt: none
  // runs DTMF-only calls on purpose.)
  std::string recognizer_error;
  auto make_recognizer = [&](const std::string& name,
                             const std::string& key) -> std::shared_ptr<voice::SpeechRecognizer> {
    if (name == "none" || !recognizer_error.empty()) return nullptr;
    engines::EngineSettings stt;
    stt.model = agent.stt_model;
    stt.threads = static_cast<int>(agent.stt_threads);
    stt.remote =
        speech_api_settings(agent.speech_api, agent.speech_api.stt_model, agent.speech_api.fallback_stt);
    auto recognizer = registry.make_recognizer(name, stt);
    if (recognizer) return *recognizer;
    recognizer_error = std::string(agent.stt_model.empty() ? key : "agent.stt_model") + ": " +
                       recognizer.error().to_string() + " (agent.engines.stt: none runs DTMF-only calls)";
    return nullptr;
  };
  e.recognizer = make_recognizer(agent.engines.stt, "agent.engines.stt");

  for (const std::string language : {"ru", "en"}) {
    const auto choice = engines_for_language(agent, language);
    if (choice.stt != agent.engines.stt)
      e.recognizers[language] = make_recognizer(choice.stt, "agent.engines.languages");
    engines::EngineSettings tts;
    tts.language = language;
    tts.voice = choice.voice;
    tts.remote =
        speech_api_settings(agent.speech_api, agent.speech_api.tts_model, agent.speech_api.fallback_tts);
    if (auto voice = registry.make_synthesizer(choice.tts, tts)) {
      e.voices[language] = *voice;
    } else {
      problem(voice.error().to_string() + " (" + language + " prompts use the fallback voice)");
    }
  }
  if (!recognizer_error.empty()) {
    setup.error = recognizer_error;
    return setup;
  }
  // Every language the calls speak (the agent's, the routes') needs a recogniser that knows it: PocketSphinx
  // is English-only, and a Russian route on it would fail every utterance.
  std::set<std::string> spoken{service->default_language};
  for (const auto& route : cfg.routing.inbound) spoken.insert(language_code(route.language));
  for (const auto& language : spoken) {
    const auto override_it = e.recognizers.find(language);
    const auto& recognizer = override_it != e.recognizers.end() ? override_it->second : e.recognizer;
    if (!recognizer) continue;
    const auto& known = recognizer->capabilities().languages;
    if (known.empty() || std::find(known.begin(), known.end(), language) != known.end()) continue;
    setup.error =
        std::string(override_it != e.recognizers.end() ? "agent.engines.languages" : "agent.engines.stt") +
        ": " + std::string(recognizer->name()) + " does not recognise \"" + language +
        "\", which calls speak here (agent.language or a route's language); choose whisper for it, e.g. " +
        "agent.engines.languages: [{language: " + language + ", stt: whisper}]";
    return setup;
  }
  engines::EngineSettings fallback;
  fallback.language = service->default_language;
  if (auto voice = registry.make_synthesizer("espeak-ng", fallback)) e.fallback_voice = *voice;

  service->metrics = voice::make_conversation_metrics(metrics);
  // The speech service's failures that the embedded engine answered (fallback_engines.hpp): the calls went
  // on, so the conversation saw no error; this is where they show.
  metrics.add_collector([](std::string& out) {
    out +=
        "# HELP voice_engine_fallbacks_total Speech service failures answered by the embedded engine, by "
        "kind\n"
        "# TYPE voice_engine_fallbacks_total counter\n";
    for (const char* kind : {"stt", "tts"})
      out += std::string("voice_engine_fallbacks_total{kind=\"") + kind + "\"} " +
             std::to_string(engines::engine_fallbacks(kind)) + "\n";
  });
  // Business endpoints wait on the network, not the CPU: their own threads, so an endpoint that hangs until
  // its timeout never takes a worker from speech recognition or synthesis.
  service->fetch_pool = std::make_shared<voice::WorkerPool>(kHttpWorkers, kHttpQueue, "voice-http");
  service->fetcher = make_fetcher(service->fetch_pool);

  voice::flow::FlowLoadResult loaded =
      agent.flow_file.empty() ? voice::flow::load_flow_string(std::string(embedded_reception_flow()))
                              : voice::flow::load_flow_file(agent.flow_file);
  if (!loaded.ok()) {
    std::string text =
        "flow " + (agent.flow_file.empty() ? std::string("(built-in reception)") : agent.flow_file) + ":";
    for (const auto& d : loaded.errors) text += "\n  " + d.to_string();
    setup.error = text;
    return setup;
  }
  auto model = make_language_model(agent);
  if (!model) {
    setup.error = "agent.engines.llm: " + model.error().to_string();
    return setup;
  }
  e.llm = *model;
  if (e.llm) {
    // Requests to a server wait on the network: threads of their own, apart from speech.
    const auto threads = e.llm->concurrent() ? static_cast<std::size_t>(agent.llm.concurrency) : 1;
    e.llm_pool =
        std::make_shared<voice::WorkerPool>(threads, std::max<std::size_t>(32, 4 * threads), "voice-llm");
    service->llm_pool = e.llm_pool;
  }
  if (!e.llm && voice::flow::uses_llm(*loaded.flow)) {
    setup.error = "flow " + agent.flow_file +
                  ": a state hands the call to the LLM (llm:), but agent.engines.llm is none";
    return setup;
  }
  voice::flow::LlmDialogueFactory make_llm;
  if (e.llm) {
    auto settings = llm_settings(agent);
    make_llm = [settings](const std::string& instructions, std::function<void(std::string)> on_return) {
      return std::make_unique<voice::llm::LlmDialogue>(settings, instructions, std::move(on_return));
    };
  }
  if (e.llm && agent.flow_file.empty()) {
    // No flow of the operator's: the model talks from the first word.
    service->dialogue = [make_llm](const voice::CallContext&) { return make_llm({}, {}); };
  } else {
    service->dialogue = voice::flow::flow_dialogue_factory(loaded.flow, make_llm);
  }
  log::info("conversation ready",
            {{"flow", agent.flow_file.empty() ? std::string("built-in reception") : agent.flow_file},
             {"vad", agent.engines.vad},
             {"stt", e.recognizer ? std::string(e.recognizer->name()) : std::string("none")},
             {"tts", agent.engines.tts},
             {"llm", agent.engines.llm},
             {"workers", static_cast<std::int64_t>(workers)},
             {"problems", static_cast<std::int64_t>(service->problems.size())}});
  setup.service = std::move(service);
  return setup;
}

void register_conversation_flows(media::CallHandlerRegistry& handlers,
                                 std::shared_ptr<ConversationService> service) {
  handlers.add(std::string(kConversationFlow),
               [service] { return std::make_unique<ConversationHandler>(service); });
}

}  // namespace va::app
