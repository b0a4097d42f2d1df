// The chat-completions test peer of tests/support/misbehaving_chat_server.py, started on 127.0.0.1: a
// scripted server (one scenario per requested model name — a well-formed stream, a tool call, stalls, cut
// connections, garbage) for the LLM engine and the LLM dialogue on real calls.
#pragma once

#include <string>

#include "support/process.hpp"

namespace va::test {

class MisbehavingChatServer {
 public:
  MisbehavingChatServer();  // throws std::runtime_error when it does not come up
  // "http://127.0.0.1:<port>/v1"
  std::string base_url() const;
  // One JSON line per request received: {"path", "auth", "client_port", "body"}.
  std::string requests() const { return process_.stderr_text(); }

 private:
  Process process_;
  int port_ = 0;
};

}  // namespace va::test
