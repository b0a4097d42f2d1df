// The operator's commands over a running instance's admin API (issue 12 item 10):
//   voice-agent calls list [--state S] [--direction D] [--number N] [--from T] [--to T] [--limit N] [--cursor
//   C] voice-agent calls show ID voice-agent calls hangup ID voice-agent calls transfer ID TARGET voice-agent
//   dial NUMBER|SIP-URI [--flow NAME] [--trunk NAME] [--from CALLER-ID] [--wait]
// The instance is --url (default: http.listen of the configuration) and the token --token (default:
// http.admin_token, or VOICE_AGENT_ADMIN_TOKEN). Every command has --json (the API's own JSON).
// Exit codes: 0 done; 1 the instance refused or could not be reached (the message says which); 2 usage or
// configuration; 3 no such call (404).
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "app/config_loading.hpp"

namespace va::app {

inline constexpr int kExitNotFound = 3;

class CallsCommands {
 public:
  explicit CallsCommands(CLI::App& app);
  // The exit code when one of these commands was given, else nullopt.
  std::optional<int> run();

  struct Options {
    ConfigSource source;
    std::string url;
    std::string token;
    bool json = false;
    // list
    std::string state, direction, source_kind, number, instance, from, to, cursor;
    int limit = 20;
    // show/hangup/transfer
    std::string id;
    std::string target;
    // dial
    std::string to_dial, flow, trunk, caller_id;
    bool wait = false;
    std::string wait_timeout = "120s";
  };

 private:
  Options o_;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* hangup_ = nullptr;
  CLI::App* transfer_ = nullptr;
  CLI::App* dial_ = nullptr;
};

}  // namespace va::app
