// The LiveKit server API transport: Twirp (JSON over HTTP/1.1) with a short-lived access token per request.
//
// `POST {url}/twirp/livekit.<Service>/<Method>`, `Authorization: Bearer <JWT>`, `Content-Type:
// application/json`. Errors come back as Twirp JSON `{code, msg, meta}`; they become an ApiError with an
// actionable hint. Typed service clients (room_service, sip_service, agent_dispatch_service) sit on top of
// `call`.
#pragma once

#include <cassert>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/result.hpp"
#include "livekit/access_token.hpp"

namespace va::livekit {

// Where the server is and how to sign for it (config::LiveKit carries the same three values).
struct ServerEndpoint {
  std::string url;  // ws://, wss://, http:// or https:// (ws → http, wss → https)
  std::string api_key;
  std::string api_secret;
};

// Twirp's error codes (https://twitchtv.github.io/twirp/docs/spec_v7.html), plus what can go wrong before the
// server answers in Twirp terms.
enum class ApiErrorCode {
  // Twirp
  canceled,
  unknown,
  invalid_argument,
  malformed,
  deadline_exceeded,
  not_found,
  bad_route,
  already_exists,
  permission_denied,
  unauthenticated,
  resource_exhausted,
  failed_precondition,
  aborted,
  out_of_range,
  unimplemented,
  internal,
  unavailable,
  dataloss,
  // transport / client side
  connection_failed,  // DNS, connect, TLS handshake
  timeout,            // no complete response within the request timeout
  bad_response,       // not HTTP, not JSON, or not a Twirp error body
};
std::string_view to_string(ApiErrorCode code);
// "not_found" → ApiErrorCode::not_found; unknown strings → ApiErrorCode::unknown.
ApiErrorCode api_error_code_from_string(std::string_view code);

struct ApiError {
  ApiErrorCode code = ApiErrorCode::unknown;
  std::string message;            // Twirp `msg` or the transport error
  unsigned http_status = 0;       // 0 when no HTTP response arrived
  std::optional<int> sip_status;  // SIP failures (CreateSIPParticipant, Transfer) carry the SIP status
  std::map<std::string, std::string> meta;  // Twirp `meta`
  std::string hint;    // what the operator should do, e.g. for "sip not connected (redis required)"
  std::string method;  // "livekit.SIP/ListSIPInboundTrunk"

  // "livekit.SIP/ListSIPInboundTrunk: unavailable: sip not connected (redis required) (hint: ...)"
  std::string to_string() const;
};

// True when the server has no SIP service: LiveKit answers "sip not connected (redis required)" when its
// config has no Redis. A configuration problem: never retried, and reported with a hint.
bool is_sip_unavailable(const ApiError& error);

// Either a value or the ApiError explaining why there is none.
template <class T>
using ApiResult = va::Result<T, ApiError>;

// The result of calls whose response carries nothing voice-agent uses.
using Empty = std::monostate;

// The grants one request needs; the client mints a token carrying exactly these.
struct RequestGrants {
  std::optional<VideoGrant> video;
  std::optional<SipGrant> sip;
};

// Reads (List*, Get*) may be retried on transport errors and 5xx/unavailable; writes never are.
enum class Idempotency { read, write };

struct TwirpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{10000};
  int read_retries = 2;  // extra attempts for Idempotency::read
  std::chrono::milliseconds retry_backoff_initial{200};
  std::chrono::milliseconds retry_backoff_max{2000};
  std::chrono::seconds token_ttl{600};
  std::string ca_file;  // extra CA bundle for https (tests); empty: the system store
};

class TwirpClient {
 public:
  TwirpClient(ServerEndpoint endpoint, TwirpClientOptions options = {});
  ~TwirpClient();
  TwirpClient(const TwirpClient&) = delete;
  TwirpClient& operator=(const TwirpClient&) = delete;

  // One Twirp call: `service` e.g. "livekit.RoomService", `method` e.g. "ListRooms". Thread-safe (calls are
  // serialised over one kept-alive connection). Never throws on network or server input.
  ApiResult<nlohmann::json> call(std::string_view service, std::string_view method,
                                 const nlohmann::json& request, const RequestGrants& grants,
                                 Idempotency idempotency);

  const ServerEndpoint& endpoint() const { return endpoint_; }

 private:
  struct Impl;
  ServerEndpoint endpoint_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace va::livekit
