#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "support/process.hpp"

namespace va::test {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return size * count;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * count;
  auto value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  response->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return size * count;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it) {
    if (iequals(it->first, name)) return it->second;
  }
  return std::nullopt;
}

HttpClient::HttpClient(std::chrono::milliseconds timeout) : timeout_(timeout) {
  ensure_curl_initialised();
  handle_ = curl_easy_init();
  if (handle_ == nullptr) throw std::runtime_error("HttpClient: curl_easy_init failed");
}

HttpClient::~HttpClient() {
  curl_easy_cleanup(static_cast<CURL*>(handle_));
}

HttpResponse HttpClient::request(std::string_view method, const std::string& url, const HeaderList& headers,
                                 const std::optional<std::string>& body) {
  CURL* curl = static_cast<CURL*>(handle_);
  HttpResponse response;
  curl_easy_reset(curl);  // keeps the connection cache
  const std::string method_text(method);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // loopback servers only; ignore any proxy environment
  if (method_text == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method_text != "GET" || body) {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  }
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_slist* list = nullptr;
  for (const auto& [name, value] : headers) {
    // "Name;" is curl's way of sending a header with an empty value.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    list = curl_slist_append(list, line.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);

  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (code != CURLE_OK) {
    response.error = curl_easy_strerror(code);
    response.status = 0;
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  long connects = 0;
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  response.new_connection = connects > 0;
  return response;
}

std::optional<std::string> find_listen_address(const std::string& output) {
  // JSON: "address":"127.0.0.1:41234"; console: address=127.0.0.1:41234 (possibly quoted).
  static const std::regex address_field(
      R"re("?address"?\s*[:=]\s*"?(\[[0-9A-Fa-f:.]+\]:\d+|[^\s",}\]]+:\d+))re");
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("http server listening") == std::string::npos) continue;
    std::smatch match;
    if (std::regex_search(line, match, address_field)) return match[1].str();
  }
  return std::nullopt;
}

std::optional<std::string> wait_for_listen_address(Process& process, std::chrono::milliseconds timeout) {
  process.wait_for_output(
      [](const std::string&, const std::string& err) { return find_listen_address(err).has_value(); },
      timeout);
  return find_listen_address(process.stderr_text());
}

RawHttpConnection::RawHttpConnection(const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find("]:");
    if (close == std::string::npos) return;
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos) return;
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  const auto port_number = htons(static_cast<std::uint16_t>(std::stoi(port)));
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = port_number;
    length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = port_number;
    length = sizeof(sockaddr_in6);
  } else {
    return;
  }
  const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    ::close(fd);
    return;
  }
  fd_ = fd;
}

RawHttpConnection::~RawHttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawHttpConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

RawHttpConnection::ReadResult RawHttpConnection::fill(std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  const int ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready == 0) return ReadResult::timed_out;
  if (ready < 0) return ReadResult::closed;
  char chunk[16384];
  const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return ReadResult::closed;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return ReadResult::data;
}

std::optional<std::string> RawHttpConnection::read_response(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto end = buffer_.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string head = buffer_.substr(0, end);
      std::transform(head.begin(), head.end(), head.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::size_t length = 0;
      if (const auto pos = head.find("\r\ncontent-length:"); pos != std::string::npos) {
        length = std::stoul(head.substr(pos + 17));
      }
      if (buffer_.size() >= end + 4 + length) {
        std::string response = buffer_.substr(0, end + 4 + length);
        buffer_.erase(0, end + 4 + length);
        return response;
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || fill(left) != ReadResult::data) return std::nullopt;
  }
}

bool RawHttpConnection::closed_by_peer(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  if (!buffer_.empty()) return false;
  const auto result = fill(timeout);
  return result == ReadResult::closed;
}

}  // namespace va::test
