#include "engines/llm/chat_stream.hpp"

#include <nlohmann/json.hpp>

namespace va::engines::llm {
namespace {

using nlohmann::json;

std::string error_message(const json& doc) {
  auto error = doc.find("error");
  if (error == doc.end()) return {};
  if (error->is_string()) return error->get<std::string>();
  if (error->is_object()) {
    auto message = error->find("message");
    if (message != error->end() && message->is_string()) return message->get<std::string>();
  }
  return error->dump();
}

int token_count(const json& usage, const char* name) {
  auto it = usage.find(name);
  return it != usage.end() && it->is_number_integer() ? static_cast<int>(it->get<long long>()) : -1;
}

void read_usage(const json& doc, voice::ChatResult& result) {
  auto usage = doc.find("usage");
  if (usage == doc.end() || !usage->is_object()) return;
  result.prompt_tokens = token_count(*usage, "prompt_tokens");
  result.completion_tokens = token_count(*usage, "completion_tokens");
  auto details = usage->find("prompt_tokens_details");
  if (details != usage->end() && details->is_object())
    result.cached_prompt_tokens = token_count(*details, "cached_tokens");
}

std::string string_field(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

bool SseParser::feed(std::string_view bytes, const OnEvent& on_event) {
  for (char c : bytes) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // CRLF: the CR ended the line
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      std::string text = std::move(line_);
      line_.clear();
      line(text, on_event);
      continue;
    }
    line_ += c;
    if (line_.size() + data_.size() > max_event_bytes_) return false;
  }
  return true;
}

void SseParser::finish(const OnEvent& on_event) {
  if (!line_.empty()) {
    std::string text = std::move(line_);
    line_.clear();
    line(text, on_event);
  }
  dispatch(on_event);
}

void SseParser::line(std::string_view text, const OnEvent& on_event) {
  if (text.empty()) return dispatch(on_event);
  if (text.front() == ':') return;  // a comment (keep-alive)
  auto colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) data_ += '\n';
    data_ += value;
    has_data_ = true;
  } else if (field == "event") {
    event_ = value;
  }
}

void SseParser::dispatch(const OnEvent& on_event) {
  if (has_data_) on_event(event_.empty() ? std::string_view("message") : std::string_view(event_), data_);
  data_.clear();
  event_.clear();
  has_data_ = false;
}

std::optional<nlohmann::json> ChatChunkDecoder::open(std::string_view text, std::string not_an_object) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    error_ = std::move(not_an_object);
    return std::nullopt;
  }
  if (auto message = error_message(doc); !message.empty()) {
    error_ = "the server reported: " + message;
    return std::nullopt;
  }
  read_usage(doc, result_);
  return doc;
}

bool ChatChunkDecoder::on_data(std::string_view data, const std::function<void(std::string_view)>& on_text) {
  if (data == "[DONE]") {
    done_ = true;
    return true;
  }
  auto parsed = open(data, "not a JSON object in the event stream: " + std::string(data.substr(0, 120)));
  if (!parsed) return false;
  const auto& doc = *parsed;
  auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array()) return true;  // a usage-only chunk
  for (const auto& choice : *choices) {
    if (!choice.is_object()) continue;
    if (auto index = choice.find("index"); index != choice.end() && index->is_number() && *index != 0)
      continue;  // n > 1 was never asked for
    if (auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string())
      result_.finish_reason = reason->get<std::string>();
    auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) continue;
    if (auto content = delta->find("content"); content != delta->end() && content->is_string()) {
      const auto& text = content->get_ref<const std::string&>();
      if (!text.empty()) {
        result_.text += text;
        if (on_text) on_text(text);
      }
    }
    auto calls = delta->find("tool_calls");
    if (calls == delta->end() || !calls->is_array()) continue;
    for (const auto& call : *calls) {
      if (!call.is_object()) continue;
      long index = 0;
      if (auto i = call.find("index"); i != call.end() && i->is_number_integer()) index = i->get<long>();
      if (index < 0 || index > 64) {
        error_ = "a tool call index out of range";
        return false;
      }
      auto& tool = tools_[index];
      if (auto id = string_field(call, "id"); !id.empty()) tool.id = id;
      if (auto fn = call.find("function"); fn != call.end() && fn->is_object()) {
        // OpenAI sends the name once; llama-cpp-python repeats it whole in every delta; a name in pieces
        // is joined.
        if (auto name = string_field(*fn, "name"); !name.empty() && name != tool.name) tool.name += name;
        tool.arguments += string_field(*fn, "arguments");
        if (tool.arguments.size() > 64 * 1024) {
          error_ = "tool call arguments too long";
          return false;
        }
      }
    }
  }
  return true;
}

bool ChatChunkDecoder::on_whole(std::string_view body, const std::function<void(std::string_view)>& on_text) {
  auto parsed = open(body, "the answer is not a JSON object");
  if (!parsed) return false;
  const auto& doc = *parsed;
  auto choices = doc.find("choices");
  if (choices == doc.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) {
    error_ = "the answer has no choices";
    return false;
  }
  const auto& choice = (*choices)[0];
  result_.finish_reason = string_field(choice, "finish_reason");
  auto message = choice.find("message");
  if (message == choice.end() || !message->is_object()) {
    error_ = "the answer has no message";
    return false;
  }
  auto text = string_field(*message, "content");
  if (!text.empty()) {
    result_.text = text;
    if (on_text) on_text(text);
  }
  if (auto calls = message->find("tool_calls"); calls != message->end() && calls->is_array()) {
    long index = 0;
    for (const auto& call : *calls) {
      if (!call.is_object()) continue;
      auto& tool = tools_[index++];
      tool.id = string_field(call, "id");
      if (auto fn = call.find("function"); fn != call.end() && fn->is_object()) {
        tool.name = string_field(*fn, "name");
        tool.arguments = string_field(*fn, "arguments");
      }
    }
  }
  done_ = true;
  return true;
}

voice::ChatResult ChatChunkDecoder::result() const {
  auto out = result_;
  for (const auto& [index, tool] : tools_) {
    if (tool.name.empty()) continue;
    out.tool_calls.push_back(tool);
    if (out.tool_calls.back().id.empty()) out.tool_calls.back().id = "call_" + std::to_string(index);
  }
  return out;
}

std::string chat_request_body(const voice::ChatRequest& request, const std::string& model) {
  json messages = json::array();
  for (const auto& m : request.messages) {
    json message{{"role", std::string(voice::to_string(m.role))}, {"content", m.content}};
    if (!m.tool_calls.empty()) {
      json calls = json::array();
      for (const auto& call : m.tool_calls)
        calls.push_back({{"id", call.id},
                         {"type", "function"},
                         {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
      message["tool_calls"] = std::move(calls);
    }
    if (m.role == voice::ChatRole::tool) message["tool_call_id"] = m.tool_call_id;
    messages.push_back(std::move(message));
  }
  json body{{"model", model},
            {"messages", std::move(messages)},
            {"stream", true},
            {"stream_options", {{"include_usage", true}}},
            {"max_tokens", request.max_tokens},
            {"temperature", request.temperature}};
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const auto& tool : request.tools) {
      auto parameters = json::parse(tool.parameters, nullptr, false);
      if (parameters.is_discarded()) parameters = json{{"type", "object"}, {"properties", json::object()}};
      tools.push_back(
          {{"type", "function"},
           {"function",
            {{"name", tool.name}, {"description", tool.description}, {"parameters", parameters}}}});
    }
    body["tools"] = std::move(tools);
    if (request.tool_choice == "auto" || request.tool_choice == "none" || request.tool_choice == "required") {
      body["tool_choice"] = request.tool_choice;
    } else if (!request.tool_choice.empty()) {
      body["tool_choice"] = {{"type", "function"}, {"function", {{"name", request.tool_choice}}}};
    }
  }
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace va::engines::llm
