#include "support/livekit_caller.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "livekit/access_token.hpp"
#include "support/livekit_server.hpp"

#ifndef VA_LIVEKIT_PY_VERSION
#error "VA_LIVEKIT_PY_VERSION must carry the pinned PyPI livekit version (scripts/versions.sh)"
#endif
#ifndef VA_PYTHON_PEER_DIR
#error "VA_PYTHON_PEER_DIR must name tests/python"
#endif

namespace va::test {
namespace {

using namespace std::chrono_literals;

std::filesystem::path caller_script() {
  return std::filesystem::path(VA_PYTHON_PEER_DIR) / "livekit_caller.py";
}

}  // namespace

std::string sip_caller_token(const LiveKitServer& server, const SipCallerIdentity& caller) {
  livekit::AccessTokenClaims claims;
  claims.api_key = server.api_key();
  claims.identity = caller.identity();
  claims.name = caller.phone_number;
  claims.kind = "sip";
  claims.attributes = caller.extra_attributes;
  claims.attributes["sip.callID"] = caller.call_id;
  claims.attributes["sip.phoneNumber"] = caller.phone_number;
  claims.attributes["sip.trunkPhoneNumber"] = caller.trunk_phone_number;
  claims.attributes["sip.callStatus"] = caller.call_status;
  livekit::VideoGrant video;
  video.room_join = true;
  video.room = caller.room;
  video.can_publish = true;
  video.can_subscribe = true;
  video.can_publish_data = true;
  claims.video = video;
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  claims.not_before = now - 5;
  claims.expires_at = now + 600;
  return livekit::mint_access_token(claims, server.api_secret());
}

void update_sip_attributes(const LiveKitServer& server, const SipCallerIdentity& caller,
                           const std::map<std::string, std::string>& attributes) {
  long status = 0;
  auto reply =
      server.twirp("RoomService", "UpdateParticipant",
                   {{"room", caller.room}, {"identity", caller.identity()}, {"attributes", attributes}},
                   &status, server.admin_token(caller.room));
  if (status != 200) ADD_FAILURE() << "UpdateParticipant of " << caller.identity() << ": " << reply.dump();
}

std::filesystem::path LiveKitCaller::python() {
  if (const char* env = std::getenv("VA_LIVEKIT_CALLER_PYTHON"); env != nullptr && *env != '\0') return env;
  return test_tools_directory() / (std::string("python-livekit-") + VA_LIVEKIT_PY_VERSION) / "bin" / "python";
}

bool LiveKitCaller::available() {
  return unavailable_reason().empty();
}

std::string LiveKitCaller::unavailable_reason() {
  std::error_code ec;
  if (!std::filesystem::exists(python(), ec)) {
    return "the LiveKit Python SDK (PyPI livekit " VA_LIVEKIT_PY_VERSION ") is not installed at " +
           python().string() + " (run scripts/setup)";
  }
  if (!std::filesystem::is_regular_file(caller_script(), ec)) return caller_script().string() + " is missing";
  return {};
}

LiveKitCaller::LiveKitCaller(LiveKitCallerOptions options)
    : options_(std::move(options)), directory_("livekit-caller") {
  if (auto why = unavailable_reason(); !why.empty()) throw std::runtime_error(why);
  ProcessOptions process;
  process.argv = {python().string(),
                  caller_script().string(),
                  "--url",
                  options_.url,
                  "--record-dir",
                  directory_.path().string(),
                  "--record-rate",
                  std::to_string(options_.record_rate),
                  "--timeout",
                  std::to_string(options_.timeout.count()),
                  "--connect-timeout",
                  std::to_string(options_.connect_timeout.count())};
  if (options_.publish_on_join) process.argv.emplace_back("--publish");
  // In the environment, not on the command line that `ps` shows.
  process.env = {{"LIVEKIT_TOKEN", options_.token}, {"PYTHONUNBUFFERED", "1"}};
  process.pipe_stdin = true;
  process_ = std::make_unique<Process>(std::move(process));

  auto joined = wait_for_event(
      [](const Event& e) {
        const auto name = e.value("event", "");
        return name == "connected" || name == "connect_failed" || name == "exit";
      },
      options_.connect_timeout + 10s);
  if (!joined || joined->value("event", "") != "connected") {
    throw std::runtime_error("the LiveKit caller did not join " + options_.url + ":\n" + log());
  }
  connected_ = *joined;
  identity_ = joined->value("identity", "");
}

LiveKitCaller::~LiveKitCaller() {
  if (process_ && process_->running()) {
    process_->write_stdin("{\"cmd\":\"leave\"}\n");
    process_->wait_for_exit(5s);
  }
}

void LiveKitCaller::send(const nlohmann::json& command) {
  auto line = command;
  if (!line.contains("id")) line["id"] = next_command_id_++;
  if (!process_->write_stdin(line.dump() + "\n")) {
    ADD_FAILURE() << "the LiveKit caller no longer takes commands (" << line.dump() << "):\n" << log();
  }
}

void LiveKitCaller::publish() {
  send({{"cmd", "publish"}});
}

void LiveKitCaller::play(const std::filesystem::path& wav) {
  send({{"cmd", "play"}, {"wav", std::filesystem::absolute(wav).string()}});
}

void LiveKitCaller::stop_playing() {
  send({{"cmd", "stop"}});
}

void LiveKitCaller::dtmf(char digit) {
  send({{"cmd", "dtmf"}, {"digit", std::string(1, digit)}});
}

bool LiveKitCaller::wait_until_played(std::chrono::milliseconds timeout) {
  const int id = next_command_id_++;
  send({{"cmd", "wait_play"}, {"id", id}});
  return wait_for_event(
             [id](const Event& e) { return e.value("event", "") == "command" && e.value("id", 0) == id; },
             timeout)
      .has_value();
}

ExitStatus LiveKitCaller::leave(std::chrono::milliseconds timeout) {
  if (process_->running()) process_->write_stdin("{\"cmd\":\"leave\"}\n");
  return process_->wait_for_exit(timeout);
}

ExitStatus LiveKitCaller::wait_for_exit(std::chrono::milliseconds timeout) {
  return process_->wait_for_exit(timeout);
}

void LiveKitCaller::parse_new_lines(const std::string& out) {
  while (true) {
    const auto end = out.find('\n', parsed_bytes_);
    if (end == std::string::npos) return;
    auto event = nlohmann::json::parse(out.begin() + static_cast<std::ptrdiff_t>(parsed_bytes_),
                                       out.begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
    parsed_bytes_ = end + 1;
    // Anything else on stdout (a library printing) stays in log() only.
    if (event.is_object() && event.contains("event")) events_.push_back(std::move(event));
  }
}

std::vector<LiveKitCaller::Event> LiveKitCaller::events() {
  parse_new_lines(process_->stdout_text());
  return events_;
}

std::size_t LiveKitCaller::event_count() {
  parse_new_lines(process_->stdout_text());
  return events_.size();
}

std::optional<LiveKitCaller::Event> LiveKitCaller::wait_for_event(const EventPredicate& matches,
                                                                  std::chrono::milliseconds timeout,
                                                                  std::size_t from) {
  std::optional<Event> found;
  // The predicate runs on this thread (under the process's output lock) each time output arrives.
  process_->wait_for_output(
      [&](const std::string& out, const std::string&) {
        parse_new_lines(out);
        for (std::size_t i = from; i < events_.size(); ++i) {
          if (matches(events_[i])) {
            found = events_[i];
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

std::optional<LiveKitCaller::Event> LiveKitCaller::wait_for_event(std::string_view name,
                                                                  std::chrono::milliseconds timeout,
                                                                  std::size_t from) {
  return wait_for_event([name](const Event& e) { return e.value("event", "") == name; }, timeout, from);
}

std::optional<LiveKitCaller::Event> LiveKitCaller::wait_for_event(std::string_view name,
                                                                  std::string_view field,
                                                                  const nlohmann::json& value,
                                                                  std::chrono::milliseconds timeout,
                                                                  std::size_t from) {
  const std::string key(field);
  return wait_for_event(
      [&](const Event& e) { return e.value("event", "") == name && e.contains(key) && e[key] == value; },
      timeout, from);
}

LiveKitCaller::Recording LiveKitCaller::recording(const std::string& identity) {
  parse_new_lines(process_->stdout_text());
  for (const auto& e : events_) {
    if (e.value("event", "") != "recording_started" || e.value("participant", "") != identity) continue;
    Recording result;
    result.file = e.value("file", "");
    result.first_sample_time = e.value("first_sample_time", 0.0);
    result.audio = read_wav(result.file);
    return result;
  }
  throw std::runtime_error("the LiveKit caller " + identity_ + " recorded nothing from " + identity + ":\n" +
                           log());
}

std::string LiveKitCaller::log() const {
  return "stdout:\n" + tail(process_->stdout_text(), 6000) + "\nstderr:\n" +
         tail(process_->stderr_text(), 3000);
}

}  // namespace va::test
