// What the `openai` engines share: a connection pool to an OpenAI-compatible speech service and the
// translation of its failures into EngineErrors. The API key goes into the Authorization header and nowhere
// else: no error or log line built here contains it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "http/client.hpp"
#include "http/client_pool.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::engines {

class SpeechApiConnections {
 public:
  // `engine` names the engine in errors ("openai"). An unusable base_url is an EngineError.
  static Result<std::shared_ptr<SpeechApiConnections>, voice::EngineError> make(
      std::string engine, const RemoteEngineSettings& settings);

  // Borrows a kept-alive client (http/client_pool.hpp).
  http::ClientPool::Lease borrow() { return pool_.borrow(); }

  // Authorization plus `extra`.
  std::vector<http::Header> headers(std::vector<http::Header> extra) const;
  // "timeout: no response from https://host:443/v1 within 5000 ms", or for a non-2xx answer the service's own
  // {"error": {"message"}} with the status: "HTTP 401 from …: Incorrect API key provided".
  voice::EngineError failure(std::string_view what, const http::ClientError& error) const;
  voice::EngineError failure(std::string_view what, const http::ClientResponse& response) const;
  voice::EngineError error(std::string message) const { return {engine_, std::move(message)}; }

  const http::Origin& origin() const { return pool_.origin(); }

 private:
  SpeechApiConnections(std::string engine, http::Origin origin, const RemoteEngineSettings& settings);

  std::string engine_;
  std::string api_key_;
  http::ClientPool pool_;
};

// Removes every occurrence of `secret` from `text` (a service may echo part of a wrong key back).
std::string without_secret(std::string text, std::string_view secret);

// The probe of an `openai` engine: available when base_url parses (no request is made); the detail names the
// URL, never the key.
EngineStatus speech_api_status(std::string name, EngineKind kind, const RemoteEngineSettings& settings);

}  // namespace va::engines
