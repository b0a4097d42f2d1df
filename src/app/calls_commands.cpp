#include "app/calls_commands.hpp"

#include <chrono>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "app/exit_codes.hpp"
#include "common/duration.hpp"
#include "common/log.hpp"
#include "http/client.hpp"
#include "http/query.hpp"

namespace va::app {
namespace {

using json = nlohmann::json;

// The admin API's base URL for http.listen ("0.0.0.0:8080" → the loopback of that family).
std::string url_of_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) return {};
  auto host = listen.substr(0, colon);
  auto port = listen.substr(colon + 1);
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  return "http://" + host + ":" + port;
}

std::string percent_encode(const std::string& s) {
  std::ostringstream out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':')
      out << c;
    else
      out << '%' << std::uppercase << std::hex << std::setw(2) << std::setfill('0') << static_cast<int>(c);
  }
  return out.str();
}

bool safe_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

struct Reply {
  int exit = kExitOk;
  unsigned status = 0;
  json body;
};

class AdminClient {
 public:
  AdminClient(http::Origin origin, std::string token)
      : client_(std::move(origin)), token_(std::move(token)) {}

  // `quiet_not_found`: a 404 is expected (polling for a record), not reported.
  Reply call(std::string_view method, const std::string& target, const std::optional<json>& body = {},
             bool quiet_not_found = false) {
    std::vector<http::Header> headers{{"Authorization", "Bearer " + token_}, {"Accept", "application/json"}};
    if (body) headers.push_back({"Content-Type", "application/json"});
    auto result = client_.request(method, target, headers, body ? body->dump() : std::string());
    Reply reply;
    if (auto* error = std::get_if<http::ClientError>(&result)) {
      std::cerr << "error: cannot reach the admin API at " << describe() << ": " << error->message << "\n";
      reply.exit = kExitRuntimeFailure;
      return reply;
    }
    const auto& response = std::get<http::ClientResponse>(result);
    reply.status = response.status;
    reply.body = json::parse(response.body, nullptr, false);
    if (response.status >= 200 && response.status < 300) return reply;
    if (response.status == 404 && quiet_not_found) {
      reply.exit = kExitNotFound;
      return reply;
    }
    std::string message = response.body;
    if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object())
      message = reply.body["error"].value("message", response.body);
    std::cerr << "error: " << response.status << " " << message;
    if (response.status == 401) std::cerr << " (check --token, http.admin_token or VOICE_AGENT_ADMIN_TOKEN)";
    std::cerr << "\n";
    reply.exit = response.status == 404   ? kExitNotFound
                 : response.status == 400 ? kExitUsageOrConfig
                                          : kExitRuntimeFailure;
    return reply;
  }

  std::string describe() const {
    const auto& o = client_.origin();
    return std::string(o.tls ? "https://" : "http://") + o.host + ":" + std::to_string(o.port);
  }

 private:
  http::Client client_;
  std::string token_;
};

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

void print_call_table(const json& calls) {
  std::cout << std::left << std::setw(34) << "ID" << std::setw(10) << "DIRECTION" << std::setw(9) << "SOURCE"
            << std::setw(14) << "STATE" << std::setw(18) << "CALLER" << std::setw(18) << "CALLED"
            << std::setw(22) << "CREATED"
            << "END REASON\n";
  for (const auto& c : calls) {
    std::cout << std::left << std::setw(34) << text(c["id"]) << std::setw(10) << text(c["direction"])
              << std::setw(9) << text(c["source"]) << std::setw(14) << text(c["state"]) << std::setw(18)
              << text(c.value("caller", json(""))) << std::setw(18) << text(c.value("called", json("")))
              << std::setw(22) << text(c["created_at"]) << text(c.value("end_reason", json(nullptr))) << "\n";
  }
}

void print_call_detail(const json& d) {
  for (const char* key :
       {"id", "direction", "source", "state", "caller", "called", "trunk", "room", "flow", "instance",
        "sip_call_id", "created_at", "answered_at", "ended_at", "end_reason", "sip_status"}) {
    if (d.contains(key)) std::cout << std::left << std::setw(14) << key << text(d[key]) << "\n";
  }
  if (d.contains("transitions") && !d["transitions"].empty()) {
    std::cout << "transitions:\n";
    for (const auto& t : d["transitions"])
      std::cout << "  " << text(t.value("at", json(""))) << "  " << text(t.value("from", json(""))) << " -> "
                << text(t.value("to", json(""))) << "  " << text(t.value("detail", json(""))) << "\n";
  }
  if (d.contains("transcript") && !d["transcript"].empty()) {
    std::cout << "transcript:\n";
    for (const auto& s : d["transcript"])
      std::cout << "  " << std::left << std::setw(7) << text(s.value("speaker", json(""))) << " "
                << text(s.value("text", json(""))) << "\n";
  }
  if (d.contains("recordings") && !d["recordings"].empty()) {
    std::cout << "recordings:\n";
    for (const auto& r : d["recordings"]) std::cout << "  " << text(r) << "\n";
  }
}

}  // namespace

CallsCommands::CallsCommands(CLI::App& app) {
  auto common = [this](CLI::App* cmd) {
    cmd->add_option("--url", o_.url, "The instance's HTTP address; default: from http.listen of the config");
    cmd->add_option("--token", o_.token,
                    "Admin API bearer token; default: http.admin_token or VOICE_AGENT_ADMIN_TOKEN");
    cmd->add_option("-c,--config", o_.source.path, "Configuration file; default: the embedded example")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--json", o_.json, "Print the API's JSON");
  };
  auto* calls =
      app.add_subcommand("calls", "List, show, hang up and transfer the calls of a running instance");
  calls->require_subcommand(1);
  list_ = calls->add_subcommand("list", "List calls, newest first");
  list_->add_option("--state", o_.state, "ringing, answered, active, on_hold, transferring, ended");
  list_->add_option("--direction", o_.direction, "inbound or outbound");
  list_->add_option("--source", o_.source_kind, "sip or livekit");
  list_->add_option("--number", o_.number, "caller or called number");
  list_->add_option("--instance", o_.instance, "the instance that ran the call");
  list_->add_option("--from", o_.from, "created at or after (ISO 8601 UTC or unix seconds)");
  list_->add_option("--to", o_.to, "created before (ISO 8601 UTC or unix seconds)");
  list_->add_option("--limit", o_.limit, "calls per page (1-500)")->capture_default_str();
  list_->add_option("--cursor", o_.cursor, "next_cursor of the previous page");
  common(list_);
  show_ = calls->add_subcommand("show", "One call with its transitions, transcript and metrics");
  show_->add_option("id", o_.id, "Call id")->required();
  common(show_);
  hangup_ = calls->add_subcommand("hangup", "Hang up a live call");
  hangup_->add_option("id", o_.id, "Call id")->required();
  common(hangup_);
  transfer_ = calls->add_subcommand("transfer", "Blind transfer (SIP REFER) of a live call");
  transfer_->add_option("id", o_.id, "Call id")->required();
  transfer_->add_option("target", o_.target, "Phone number or sip: URI")->required();
  common(transfer_);
  dial_ = app.add_subcommand("dial", "Place an outbound call from a running instance; prints the call id");
  dial_->add_option("target", o_.to_dial, "Phone number (through a trunk) or sip:/sips: URI")->required();
  dial_->add_option("--flow", o_.flow, "Flow that drives the call; default: the first inbound route's");
  dial_->add_option("--trunk", o_.trunk, "Trunk for a number; default: routing.outbound.trunk");
  dial_->add_option("--from", o_.caller_id, "Caller id; default: routing.outbound.caller_id");
  dial_->add_flag("--wait", o_.wait, "Wait until the call has ended and print its record");
  dial_->add_option("--wait-timeout", o_.wait_timeout, "Give up waiting after this long")
      ->capture_default_str();
  common(dial_);
}

std::optional<int> CallsCommands::run() {
  CLI::App* chosen = nullptr;
  for (auto* cmd : {list_, show_, hangup_, transfer_, dial_})
    if (*cmd) chosen = cmd;
  if (!chosen) return std::nullopt;

  if (o_.url.empty() || o_.token.empty()) {
    auto loaded = load_config(o_.source);
    for (const auto& s : loaded.secrets) log::add_secret(s);
    if (!loaded.ok()) {
      print_diagnostics(loaded, o_.source);
      return kExitUsageOrConfig;
    }
    if (o_.url.empty()) o_.url = url_of_listen(loaded.config.http.listen);
    if (o_.token.empty()) o_.token = loaded.config.http.admin_token;
  }
  if (o_.token.empty()) {
    std::cerr << "error: no admin token: pass --token, or set http.admin_token or VOICE_AGENT_ADMIN_TOKEN\n";
    return kExitUsageOrConfig;
  }
  std::string url_error;
  auto origin = http::Origin::parse(o_.url, url_error);
  if (!origin) {
    std::cerr << "error: --url " << o_.url << ": " << url_error << "\n";
    return kExitUsageOrConfig;
  }
  if (chosen != list_ && chosen != dial_ && !safe_id(o_.id)) {
    std::cerr << "error: '" << o_.id << "' is not a call id\n";
    return kExitUsageOrConfig;
  }
  AdminClient client(*origin, o_.token);
  auto print = [this](const json& body) {
    if (o_.json) std::cout << body.dump(2) << "\n";
  };

  if (chosen == list_) {
    std::string query = "limit=" + std::to_string(o_.limit);
    for (auto [name, value] : {std::pair{"state", &o_.state}, std::pair{"direction", &o_.direction},
                               std::pair{"source", &o_.source_kind}, std::pair{"number", &o_.number},
                               std::pair{"instance", &o_.instance}, std::pair{"from", &o_.from},
                               std::pair{"to", &o_.to}, std::pair{"cursor", &o_.cursor}})
      if (!value->empty()) query += std::string("&") + name + "=" + percent_encode(*value);
    auto reply = client.call("GET", "/v1/calls?" + query);
    if (reply.exit != kExitOk) return reply.exit;
    if (o_.json) {
      print(reply.body);
    } else {
      print_call_table(reply.body["calls"]);
      if (!reply.body["next_cursor"].is_null())
        std::cout << "more: --cursor " << reply.body["next_cursor"].get<std::string>() << "\n";
    }
    return kExitOk;
  }
  if (chosen == show_) {
    auto reply = client.call("GET", "/v1/calls/" + o_.id);
    if (reply.exit != kExitOk) return reply.exit;
    if (o_.json)
      print(reply.body);
    else
      print_call_detail(reply.body);
    return kExitOk;
  }
  if (chosen == hangup_ || chosen == transfer_) {
    bool hangup = chosen == hangup_;
    auto reply = hangup
                     ? client.call("POST", "/v1/calls/" + o_.id + "/hangup")
                     : client.call("POST", "/v1/calls/" + o_.id + "/transfer", json{{"target", o_.target}});
    if (reply.exit != kExitOk) return reply.exit;
    if (o_.json)
      print(reply.body);
    else
      std::cout << (hangup ? "hanging up " : "transferring ") << o_.id << (hangup ? "" : " to " + o_.target)
                << "\n";
    return kExitOk;
  }

  // dial
  json request = {{"to", o_.to_dial}};
  if (!o_.flow.empty()) request["flow"] = o_.flow;
  if (!o_.trunk.empty()) request["trunk"] = o_.trunk;
  if (!o_.caller_id.empty()) request["from"] = o_.caller_id;
  auto wait_for = parse_duration(o_.wait_timeout);
  if (!wait_for || wait_for->count() <= 0) {
    std::cerr << "error: --wait-timeout " << o_.wait_timeout << " is not a positive duration\n";
    return kExitUsageOrConfig;
  }
  auto reply = client.call("POST", "/v1/calls", request);
  if (reply.exit != kExitOk) return reply.exit;
  const auto id = reply.body.value("id", std::string());
  if (!o_.wait) {
    if (o_.json)
      print(reply.body);
    else
      std::cout << id << "\n";
    return kExitOk;
  }
  // Until the record says the call has ended (the record appears once the call starts).
  const auto deadline = std::chrono::steady_clock::now() + *wait_for;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    auto got = client.call("GET", "/v1/calls/" + id, std::nullopt, true);
    if (got.exit == kExitNotFound) continue;
    if (got.exit != kExitOk) return got.exit;
    if (got.body.value("state", std::string()) != "ended") continue;
    if (o_.json)
      print(got.body);
    else
      print_call_detail(got.body);
    return kExitOk;
  }
  std::cerr << "error: call " << id << " has not ended within --wait-timeout " << o_.wait_timeout << "\n";
  return kExitRuntimeFailure;
}

}  // namespace va::app
