// The PostgreSQL store's connections (postgres_store.hpp): a few libpqxx connections shared by the store's
// callers, one caller per connection at a time.
//
// A connection is made when a caller needs one and none is idle, up to `size`; callers beyond that wait.
// A connection that broke (the server restarted, the network dropped) is not handed out again: the caller
// that saw it break gets `unavailable`, the idle ones — broken by the same cause, most likely — are dropped
// with it, and the next call connects afresh. So a restarted server costs one failed call, not one per
// pooled connection.
//
// Internal to va_calls; messages never show the password of the URL (redact_postgres_url).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "calls/store.hpp"

namespace va::calls {

// `url` with its password (user:PASSWORD@ or password=PASSWORD) replaced by "***", for messages and logs.
std::string redact_postgres_url(const std::string& url);

// `text` with every occurrence of the URL's password replaced by "***": a last guard for messages that come
// from libpq or the server, which quote what they were given.
std::string scrub_password(std::string text, const std::string& url);

// One connection and the statements prepared on it.
class PostgresConnection {
 public:
  explicit PostgresConnection(std::unique_ptr<pqxx::connection> connection);
  ~PostgresConnection();
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  pqxx::connection_base& get() { return *connection_; }
  // The name of the prepared statement for `sql`, preparing it on first use (libpqxx prepares it on the
  // server the first time it runs, and again after a reconnect).
  const std::string& statement(const std::string& sql);

 private:
  std::unique_ptr<pqxx::connection> connection_;
  std::map<std::string, std::string> statements_;  // SQL → name
};

class PostgresConnectionPool {
 public:
  // A connection lent to one caller; returned to the pool when destroyed, or dropped when marked broken.
  class Lease {
   public:
    Lease(PostgresConnectionPool* pool, std::unique_ptr<PostgresConnection> connection);
    ~Lease();
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;

    PostgresConnection& operator*() { return *connection_; }
    PostgresConnection* operator->() { return connection_.get(); }
    void mark_broken() { broken_ = true; }

   private:
    PostgresConnectionPool* pool_;
    std::unique_ptr<PostgresConnection> connection_;
    bool broken_ = false;
  };

  // Does not connect: the first call does.
  PostgresConnectionPool(std::string url, std::size_t size, std::chrono::milliseconds wait_limit);
  ~PostgresConnectionPool();
  PostgresConnectionPool(const PostgresConnectionPool&) = delete;
  PostgresConnectionPool& operator=(const PostgresConnectionPool&) = delete;

  // An idle connection, a new one, or (all `size` lent) the first one returned within the wait limit.
  // `unavailable` when connecting fails or nothing is returned in time.
  StoreResult<Lease> acquire();

  const std::string& redacted_url() const { return redacted_url_; }
  const std::string& url() const { return url_; }

 private:
  void give_back(std::unique_ptr<PostgresConnection> connection, bool broken);

  const std::string url_;
  const std::string redacted_url_;
  const std::size_t size_;
  const std::chrono::milliseconds wait_limit_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_;
  std::size_t open_ = 0;  // idle and lent
};

}  // namespace va::calls
