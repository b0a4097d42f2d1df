// `voice-agent token create`: mints a LiveKit access token with the configured API key and secret.
#pragma once

#include <string>
#include <vector>

#include "app/config_loading.hpp"

namespace va::app {

struct TokenCreateOptions {
  std::string identity;
  std::string name;
  std::string room;
  std::vector<std::string> grants;
  std::string ttl = "6h";
  std::string metadata;
  std::vector<std::string> attributes;  // key=value
  std::string kind;
};

int token_create(const ConfigSource& source, const TokenCreateOptions& options);

}  // namespace va::app
