// Composition of the conversation (issue 10): engines from the registry as the configuration names them,
// the worker pool, the prompt cache, the dialogue (agent.flow_file, else the built-in reception flow) and
// business HTTP calls — and a call handler for every routed flow that is not a diagnostic one. Glue only:
// the logic is in src/voice and src/engines.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/health.hpp"
#include "common/metrics.hpp"
#include "engines/engine_registry.hpp"
#include "media/call_handler.hpp"
#include "voice/conversation.hpp"
#include "voice/language_model.hpp"
#include "voice/worker_pool.hpp"

namespace va::app {

struct ConversationService {
  voice::ConversationSettings settings;
  voice::ConversationEngines engines;
  voice::DialogueFactory dialogue;
  voice::ConversationMetrics metrics;
  voice::Conversation::Fetcher fetcher;
  std::string default_language;
  std::vector<std::string> problems;              // engines that could not be set up (also logged)
  std::shared_ptr<voice::WorkerPool> fetch_pool;  // the business HTTP calls' threads
  std::shared_ptr<voice::WorkerPool> llm_pool;    // the language model's requests
  // A call's conversation is over (transcript and turn metrics final), before its leg reports the end: for
  // the call records. `record_id` is media::CallInfo::record_id; not called for unrecorded calls.
  std::function<void(const std::string& record_id, const voice::Conversation&)> finished;

  // Finishes the engine and HTTP jobs in flight and stops taking new ones (a call's submit then fails and it
  // falls back). At shutdown, before the call threads go: a job's result is posted to its call's thread.
  void stop_workers() {
    if (engines.pool) engines.pool->stop();
    if (fetch_pool) fetch_pool->stop();
    if (llm_pool) llm_pool->stop();
  }
};

// A voice that cannot start is a problem in the result (logged, health "voice" degraded) and its prompts use
// the fallback voice; a VAD or recogniser that cannot start (a missing model) and an invalid flow file are
// errors: serve refuses to start.
struct ConversationSetup {
  std::shared_ptr<ConversationService> service;
  std::string error;  // the VAD, the recogniser or the dialogue could not be loaded
};
ConversationSetup make_conversation_service(const config::Config& cfg,
                                            const engines::EngineRegistry& registry,
                                            metrics::Registry& metrics);

// The engines the calls of one language ("ru", "en") use: agent.engines, overridden by
// agent.engines.languages[]; `voice` empty: the engine's default for the language. Shared by serve and
// `voice-agent check`, so check tests what the calls will run.
struct LanguageEngineChoice {
  std::string stt;
  std::string tts;
  std::string voice;
};
// agent.speech_api as the `openai` engines take it (`model` and `fallback` of the kind being made).
engines::RemoteEngineSettings speech_api_settings(const config::SpeechApi& api, const std::string& model,
                                                  const std::string& fallback);

LanguageEngineChoice engines_for_language(const config::Agent& agent, const std::string& language);

// The language model agent.engines.llm names, made as serve makes it (null for `none`); for serve and
// `voice-agent check`.
Result<std::shared_ptr<voice::LanguageModel>, voice::ChatError> make_language_model(
    const config::Agent& agent);

// The flow name routes use for the conversation (routing.inbound[].flow: main). Other names are the
// diagnostic flows (echo, dtmf-echo, ring); a name nobody registered is answered 480.
inline constexpr std::string_view kConversationFlow = "main";

// Registers the conversation as the `main` flow.
void register_conversation_flows(media::CallHandlerRegistry& handlers,
                                 std::shared_ptr<ConversationService> service);

// The reception flow compiled into the binary (config/flows/reception.yaml): the dialogue when
// agent.flow_file is empty.
std::string_view embedded_reception_flow();

}  // namespace va::app
