#include "livekit/twirp_client.hpp"

#include <array>
#include <charconv>
#include <mutex>
#include <thread>

#include "common/ascii.hpp"
#include "http/client.hpp"

namespace va::livekit {
namespace {

constexpr std::array<std::pair<ApiErrorCode, std::string_view>, 21> kCodeNames{{
    {ApiErrorCode::canceled, "canceled"},
    {ApiErrorCode::unknown, "unknown"},
    {ApiErrorCode::invalid_argument, "invalid_argument"},
    {ApiErrorCode::malformed, "malformed"},
    {ApiErrorCode::deadline_exceeded, "deadline_exceeded"},
    {ApiErrorCode::not_found, "not_found"},
    {ApiErrorCode::bad_route, "bad_route"},
    {ApiErrorCode::already_exists, "already_exists"},
    {ApiErrorCode::permission_denied, "permission_denied"},
    {ApiErrorCode::unauthenticated, "unauthenticated"},
    {ApiErrorCode::resource_exhausted, "resource_exhausted"},
    {ApiErrorCode::failed_precondition, "failed_precondition"},
    {ApiErrorCode::aborted, "aborted"},
    {ApiErrorCode::out_of_range, "out_of_range"},
    {ApiErrorCode::unimplemented, "unimplemented"},
    {ApiErrorCode::internal, "internal"},
    {ApiErrorCode::unavailable, "unavailable"},
    {ApiErrorCode::dataloss, "dataloss"},
    {ApiErrorCode::connection_failed, "connection_failed"},
    {ApiErrorCode::timeout, "timeout"},
    {ApiErrorCode::bad_response, "bad_response"},
}};

using Clock = std::chrono::steady_clock;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ws(s):// is how LiveKit URLs are usually written (the client SDKs connect there); the API is the same
// host over http(s).
std::string api_base_url(std::string url) {
  auto lower = ascii::to_lower(std::string_view(url).substr(0, 6));
  if (lower.rfind("wss://", 0) == 0) return "https://" + url.substr(6);
  if (lower.rfind("ws://", 0) == 0) return "http://" + url.substr(5);
  return url;
}

// The Twirp status for a reply without a Twirp JSON body (LiveKit's auth middleware answers 401 in plain
// text), following the Twirp spec's HTTP-status table in reverse.
ApiErrorCode code_for_http_status(unsigned status) {
  switch (status) {
    case 400:
      return ApiErrorCode::invalid_argument;
    case 401:
      return ApiErrorCode::unauthenticated;
    case 403:
      return ApiErrorCode::permission_denied;
    case 404:
      return ApiErrorCode::bad_route;
    case 408:
      return ApiErrorCode::deadline_exceeded;
    case 409:
      return ApiErrorCode::already_exists;
    case 429:
      return ApiErrorCode::resource_exhausted;
    case 501:
      return ApiErrorCode::unimplemented;
    case 502:
    case 503:
    case 504:
      return ApiErrorCode::unavailable;
    default:
      return status >= 500 ? ApiErrorCode::internal : ApiErrorCode::unknown;
  }
}

std::optional<int> sip_status_from(const std::map<std::string, std::string>& meta) {
  for (const char* key : {"sip_status_code", "sip_status"}) {
    auto it = meta.find(key);
    if (it == meta.end()) continue;
    int value = 0;
    const auto& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc{} && value >= 100 && value <= 699) return value;
  }
  return std::nullopt;
}

std::string trimmed(std::string_view text, std::size_t max = 300) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  return std::string(text.substr(0, max));
}

bool contains(std::string_view text, std::string_view needle) {
  return ascii::to_lower(text).find(needle) != std::string::npos;
}

std::string hint_for(const ApiError& e, const std::string& url, const TwirpClientOptions& options) {
  if (is_sip_unavailable(e)) {
    return "the LiveKit server at " + url +
           " has no Redis configured (`redis:` in its config): its SIP APIs need Redis and a running "
           "livekit-sip bridge";
  }
  if (contains(e.message, "no response from servers")) {
    return "no livekit-sip bridge is connected to the LiveKit server's Redis: start one (its `redis:` and "
           "`api_key`/`api_secret` must match the server's) to place or transfer SIP calls";
  }
  switch (e.code) {
    case ApiErrorCode::unauthenticated:
      if (contains(e.message, "permission")) {
        return "the key is valid but the token's grants do not allow " + e.method +
               "; report this as a voice-agent bug";
      }
      return "check livekit.api_key and livekit.api_secret (or LIVEKIT_API_KEY / LIVEKIT_API_SECRET): they "
             "must "
             "be a key pair configured on the server at " +
             url + ", and this machine's clock must be within 60 s of the server's";
    case ApiErrorCode::permission_denied:
      return "the API key is not allowed to call " + e.method;
    case ApiErrorCode::connection_failed:
      if (contains(e.message, "tls") || contains(e.message, "certificate") ||
          contains(e.message, "handshake"))
        return "check the server's TLS certificate: issued by a trusted CA and valid for the host in "
               "livekit.url";
      return "is the LiveKit server running at " + url + "? check livekit.url (LIVEKIT_URL)";
    case ApiErrorCode::timeout:
      return "the LiveKit server at " + url + " did not answer within " +
             std::to_string(options.request_timeout.count()) +
             " ms: check the network path and the server's load";
    case ApiErrorCode::bad_route:
      return "the server at " + url + " does not offer " + e.method +
             ": is livekit.url a LiveKit server, and is it recent enough (v1.13 or later)?";
    case ApiErrorCode::bad_response:
      return "the server at " + url + " did not answer like a LiveKit server: check livekit.url";
    default:
      return {};
  }
}

}  // namespace

std::string_view to_string(ApiErrorCode code) {
  for (const auto& [c, name] : kCodeNames) {
    if (c == code) return name;
  }
  return "unknown";
}

ApiErrorCode api_error_code_from_string(std::string_view code) {
  for (const auto& [c, name] : kCodeNames) {
    if (name == code) return c;
  }
  return ApiErrorCode::unknown;
}

bool is_sip_unavailable(const ApiError& error) {
  return contains(error.message, "sip not connected") || contains(error.message, "redis required");
}

std::string ApiError::to_string() const {
  std::string out = method.empty() ? std::string() : method + ": ";
  out += std::string(livekit::to_string(code));
  if (!message.empty()) out += ": " + message;
  if (sip_status) out += " (SIP " + std::to_string(*sip_status) + ")";
  if (!hint.empty()) out += " (hint: " + hint + ")";
  return out;
}

struct TwirpClient::Impl {
  TwirpClientOptions options;
  std::string base_url;
  std::optional<http::Client> http;
  std::string url_error;  // why `http` is empty

  std::mutex tokens_mutex;
  struct CachedToken {
    std::string token;
    std::int64_t expires_at = 0;
  };
  std::map<std::string, CachedToken> tokens;  // by the grants' JSON

  std::string token_for(const ServerEndpoint& endpoint, const RequestGrants& grants) {
    nlohmann::json key{{"video", grants.video ? to_json(*grants.video) : nlohmann::json()},
                       {"sip", grants.sip ? to_json(*grants.sip) : nlohmann::json()}};
    auto now = unix_now();
    std::lock_guard lock(tokens_mutex);
    auto& cached = tokens[key.dump()];
    // Reused until a minute before expiry, so no request carries a token about to expire.
    if (!cached.token.empty() && cached.expires_at - 60 > now) return cached.token;
    AccessTokenClaims claims;
    claims.api_key = endpoint.api_key;
    claims.identity = "voice-agent";
    claims.video = grants.video;
    claims.sip = grants.sip;
    claims.not_before = now;
    claims.expires_at = now + options.token_ttl.count();
    cached.token = mint_access_token(claims, endpoint.api_secret);
    cached.expires_at = claims.expires_at;
    return cached.token;
  }
};

TwirpClient::TwirpClient(ServerEndpoint endpoint, TwirpClientOptions options)
    : endpoint_(std::move(endpoint)), impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->base_url = api_base_url(endpoint_.url);
  std::string error;
  if (auto origin = http::Origin::parse(impl_->base_url, error)) {
    http::ClientOptions http_options;
    http_options.connect_timeout = impl_->options.connect_timeout;
    http_options.request_timeout = impl_->options.request_timeout;
    http_options.ca_file = impl_->options.ca_file;
    impl_->http.emplace(*origin, http_options);
  } else {
    impl_->url_error = "livekit.url: " + error;
  }
}

TwirpClient::~TwirpClient() = default;

ApiResult<nlohmann::json> TwirpClient::call(std::string_view service, std::string_view method,
                                            const nlohmann::json& request, const RequestGrants& grants,
                                            Idempotency idempotency) {
  const auto& options = impl_->options;
  ApiError error;
  error.method = std::string(service) + "/" + std::string(method);
  if (!impl_->http) {
    error.code = ApiErrorCode::connection_failed;
    error.message = impl_->url_error;
    error.hint = "set livekit.url to the server, e.g. wss://<project>.livekit.cloud or http://127.0.0.1:7880";
    return error;
  }
  const std::string target = "/twirp/" + error.method;
  const std::string body = request.dump();
  const int attempts = 1 + (idempotency == Idempotency::read ? std::max(0, options.read_retries) : 0);
  auto backoff = options.retry_backoff_initial;

  for (int attempt = 1;; ++attempt) {
    std::vector<http::Header> headers{{"Authorization", "Bearer " + impl_->token_for(endpoint_, grants)},
                                      {"Content-Type", "application/json"},
                                      {"Accept", "application/json"}};
    auto result = impl_->http->request("POST", target, headers, body);
    bool retryable = false;
    error.meta.clear();
    error.sip_status.reset();
    if (const auto* failure = std::get_if<http::ClientError>(&result)) {
      error.http_status = 0;
      error.code = failure->kind == http::ClientErrorKind::timeout ? ApiErrorCode::timeout
                   : failure->kind == http::ClientErrorKind::response_too_large ||
                           failure->kind == http::ClientErrorKind::bad_response
                       ? ApiErrorCode::bad_response
                       : ApiErrorCode::connection_failed;
      error.message = failure->message;
      retryable = error.code != ApiErrorCode::bad_response;
    } else {
      const auto& response = std::get<http::ClientResponse>(result);
      if (response.status == 200) {
        auto json = nlohmann::json::parse(response.body, nullptr, false);
        if (!json.is_discarded() && json.is_object()) return json;
        error.code = ApiErrorCode::bad_response;
        error.http_status = 200;
        error.message = "the response is not a JSON object: " + trimmed(response.body, 120);
        error.hint = hint_for(error, impl_->base_url, options);
        return error;
      }
      error.http_status = response.status;
      auto json = nlohmann::json::parse(response.body, nullptr, false);
      if (!json.is_discarded() && json.is_object() && json.contains("code") && json["code"].is_string()) {
        error.code = api_error_code_from_string(json["code"].get<std::string>());
        error.message = json.contains("msg") && json["msg"].is_string() ? json["msg"].get<std::string>() : "";
        if (json.contains("meta") && json["meta"].is_object()) {
          for (const auto& [k, v] : json["meta"].items())
            error.meta[k] = v.is_string() ? v.get<std::string>() : v.dump();
        }
        error.sip_status = sip_status_from(error.meta);
      } else {
        error.code = code_for_http_status(response.status);
        error.message = "HTTP " + std::to_string(response.status) +
                        (response.body.empty() ? std::string() : ": " + trimmed(response.body));
      }
      // LiveKit answers a server without Redis with `internal` (HTTP 500): a configuration problem that no
      // retry will fix.
      retryable =
          (error.code == ApiErrorCode::unavailable ||
           (response.status >= 500 && response.status != 501 && error.code == ApiErrorCode::internal)) &&
          !is_sip_unavailable(error);
    }
    if (!retryable || attempt >= attempts) {
      error.hint = hint_for(error, impl_->base_url, options);
      return error;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options.retry_backoff_max);
  }
}

}  // namespace va::livekit
