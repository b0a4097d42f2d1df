#include "calls/postgres_connection_pool.hpp"

#include <algorithm>
#include <pqxx/connection>
#include <pqxx/except>
#include <utility>

namespace va::calls {
namespace {

// Where the password of a URL is: [begin, end) in `url`, empty when it has none. Both forms libpq takes:
// postgresql://user:PASSWORD@host/db and ...?password=PASSWORD.
std::vector<std::pair<std::size_t, std::size_t>> password_spans(const std::string& url) {
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  auto scheme = url.find("://");
  if (scheme != std::string::npos) {
    auto authority = scheme + 3;
    auto authority_end = url.find_first_of("/?#", authority);
    if (authority_end == std::string::npos) authority_end = url.size();
    auto at = url.rfind('@', authority_end - 1);
    if (at != std::string::npos && at >= authority) {
      auto colon = url.find(':', authority);
      if (colon != std::string::npos && colon < at) spans.emplace_back(colon + 1, at);
    }
  }
  for (auto key = url.find("password="); key != std::string::npos; key = url.find("password=", key + 1)) {
    if (key > 0 && url[key - 1] != '?' && url[key - 1] != '&' && url[key - 1] != ' ') continue;
    auto begin = key + 9;
    auto end = url.find_first_of("& ", begin);
    spans.emplace_back(begin, end == std::string::npos ? url.size() : end);
  }
  return spans;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

void replace_all(std::string& text, const std::string& what, const std::string& with) {
  if (what.empty()) return;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + with.size()))
    text.replace(at, what.size(), with);
}

// libpq's messages end with a newline and sometimes carry a second, indented line: one line for ours.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  for (auto& c : text)
    if (c == '\n' || c == '\t') c = ' ';
  return text;
}

// Whether an idle connection is still up, without a round trip: a server that shut down or restarted has
// sent its goodbye and closed the socket, which reading what is there finds. (It matters beyond the saved
// failure: libpqxx 6.4 leaks the libpq result of a statement run on a connection that breaks during it.)
bool still_connected(PostgresConnection& connection) {
  try {
    connection.get().get_notifs();
    return connection.get().is_open();
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::string redact_postgres_url(const std::string& url) {
  auto spans = password_spans(url);
  std::string out = url;
  // From the last span back, so earlier offsets stay valid.
  std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [begin, end] : spans) out.replace(begin, end - begin, "***");
  return out;
}

std::string scrub_password(std::string text, const std::string& url) {
  for (const auto& [begin, end] : password_spans(url)) {
    auto password = url.substr(begin, end - begin);
    replace_all(text, password, "***");
    replace_all(text, percent_decoded(password), "***");
  }
  return text;
}

PostgresConnection::PostgresConnection(std::unique_ptr<pqxx::connection> connection)
    : connection_(std::move(connection)) {}

PostgresConnection::~PostgresConnection() = default;

const std::string& PostgresConnection::statement(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    auto name = "va_" + std::to_string(statements_.size());
    connection_->prepare(name, sql);
    it = statements_.emplace(sql, std::move(name)).first;
  }
  return it->second;
}

PostgresConnectionPool::Lease::Lease(PostgresConnectionPool* pool,
                                     std::unique_ptr<PostgresConnection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

PostgresConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::move(other.connection_)),
      broken_(other.broken_) {}

PostgresConnectionPool::Lease::~Lease() {
  if (pool_ && connection_) pool_->give_back(std::move(connection_), broken_);
}

PostgresConnectionPool::PostgresConnectionPool(std::string url, std::size_t size,
                                               std::chrono::milliseconds wait_limit)
    : url_(std::move(url)),
      redacted_url_(redact_postgres_url(url_)),
      size_(size == 0 ? 1 : size),
      wait_limit_(wait_limit) {}

PostgresConnectionPool::~PostgresConnectionPool() = default;

StoreResult<PostgresConnectionPool::Lease> PostgresConnectionPool::acquire() {
  {
    std::unique_lock lock(mutex_);
    if (!returned_.wait_for(lock, wait_limit_, [&] { return !idle_.empty() || open_ < size_; }))
      return StoreError{StoreError::Kind::unavailable,
                        "postgresql: " + redacted_url_ + ": all " + std::to_string(size_) +
                            " connections stayed busy for " + std::to_string(wait_limit_.count()) + " ms"};
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (still_connected(*connection)) return Lease(this, std::move(connection));
      // The server closed it (a restart): so it did the others, most likely; connect afresh.
      open_ -= idle_.size() + 1;
      idle_.clear();
    }
    ++open_;  // a slot for the connection made below, outside the lock (connecting takes a round trip)
  }
  std::string why;
  try {
    auto connection = std::make_unique<pqxx::connection>(url_);
    // Notices ("relation exists, skipping") would go to stderr; warnings and errors still reach us.
    connection->set_variable("client_min_messages", "warning");
    return Lease(this, std::make_unique<PostgresConnection>(std::move(connection)));
  } catch (const std::exception& e) {
    why = e.what();
  }
  {
    std::lock_guard lock(mutex_);
    --open_;
  }
  returned_.notify_one();
  return StoreError{StoreError::Kind::unavailable, "postgresql: cannot connect to " + redacted_url_ + ": " +
                                                       scrub_password(one_line(why), url_)};
}

void PostgresConnectionPool::give_back(std::unique_ptr<PostgresConnection> connection, bool broken) {
  std::vector<std::unique_ptr<PostgresConnection>> dropped;
  {
    std::lock_guard lock(mutex_);
    if (broken) {
      dropped = std::move(idle_);
      idle_.clear();
      open_ -= dropped.size() + 1;
      dropped.push_back(std::move(connection));
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  returned_.notify_all();
  // Closed outside the lock: closing a connection may wait for the network.
  dropped.clear();
}

}  // namespace va::calls
