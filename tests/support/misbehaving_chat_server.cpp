#include "support/misbehaving_chat_server.hpp"

#include <regex>
#include <stdexcept>

namespace va::test {

using namespace std::chrono_literals;

MisbehavingChatServer::MisbehavingChatServer()
    : process_(ProcessOptions{
          {"python3", std::string(VA_SOURCE_DIR) + "/tests/support/misbehaving_chat_server.py"},
          {},
          {},
          {},
          false}) {
  const std::regex ready("listening (\\d+)");
  if (!process_.wait_for_output(ready, Stream::out, 10s))
    throw std::runtime_error("the chat server did not start: " + process_.stderr_text());
  const auto out = process_.stdout_text();
  std::smatch m;
  std::regex_search(out, m, ready);
  port_ = std::stoi(m[1]);
}

std::string MisbehavingChatServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/v1";
}

}  // namespace va::test
