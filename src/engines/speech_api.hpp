// What the `openai` engines share: a connection pool to an OpenAI-compatible speech service and the
// translation of its failures into EngineErrors. The API key goes into the Authorization header and nowhere
// else: no error or log line built here contains it.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "engines/engine_registry.hpp"
#include "http/client.hpp"
#include "voice/speech_recognizer.hpp"

namespace va::engines {

class SpeechApiConnections {
 public:
  // `engine` names the engine in errors ("openai"). An unusable base_url is an EngineError.
  static Result<std::shared_ptr<SpeechApiConnections>, voice::EngineError> make(
      std::string engine, const RemoteEngineSettings& settings);

  // Borrows a kept-alive client (a new one when all are busy), so concurrent calls do not queue behind each
  // other; it goes back to the pool when the lease ends.
  class Lease {
   public:
    Lease(SpeechApiConnections& owner, std::unique_ptr<http::Client> client)
        : owner_(owner), client_(std::move(client)) {}
    ~Lease() { owner_.give_back(std::move(client_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    http::Client& operator*() { return *client_; }
    http::Client* operator->() { return client_.get(); }

   private:
    SpeechApiConnections& owner_;
    std::unique_ptr<http::Client> client_;
  };
  Lease borrow();

  // Authorization plus `extra`.
  std::vector<http::Header> headers(std::vector<http::Header> extra) const;
  // "timeout: no response from https://host:443/v1 within 5000 ms", or for a non-2xx answer the service's own
  // {"error": {"message"}} with the status: "HTTP 401 from …: Incorrect API key provided".
  voice::EngineError failure(std::string_view what, const http::ClientError& error) const;
  voice::EngineError failure(std::string_view what, const http::ClientResponse& response) const;
  voice::EngineError error(std::string message) const { return {engine_, std::move(message)}; }

  const http::Origin& origin() const { return origin_; }

 private:
  SpeechApiConnections(std::string engine, http::Origin origin, const RemoteEngineSettings& settings);
  void give_back(std::unique_ptr<http::Client> client);

  std::string engine_;
  http::Origin origin_;
  http::ClientOptions options_;
  std::string api_key_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<http::Client>> idle_;
};

// Removes every occurrence of `secret` from `text` (a service may echo part of a wrong key back).
std::string without_secret(std::string text, std::string_view secret);

// The probe of an `openai` engine: available when base_url parses (no request is made); the detail names the
// URL, never the key.
EngineStatus speech_api_status(std::string name, EngineKind kind, const RemoteEngineSettings& settings);

}  // namespace va::engines
