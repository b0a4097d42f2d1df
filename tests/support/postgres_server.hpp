// A real PostgreSQL 15 server (Debian's postgresql package) for the store tests: initdb into a scratch
// directory, then `postgres` listening on 127.0.0.1 only, on a free port, with its unix socket in the
// scratch directory too. Durability is traded for speed (fsync, full_page_writes and synchronous_commit
// off): a test's data need not survive a power cut.
//
// PostgreSQL refuses to run as root, and the tests run as root: then initdb and the server run as the
// `postgres` system user (setpriv), owning the scratch directory. Clients connect over TCP with the
// superuser `postgres` and a password (scram-sha-256), so the store's password handling is exercised; the
// harness's own psql calls use the unix socket.
//
// Each test takes a database of its own (create_database: CREATE DATABASE t_N), which keeps tests apart
// at the price of one CREATE DATABASE, not one server. stop()/start() restart the server on the same port
// and data, for tests of a database that goes away and comes back.
//
// The binaries: $VA_POSTGRES_BIN_DIR, else /usr/lib/postgresql/15/bin.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/free_port.hpp"
#include "support/process.hpp"
#include "support/temp_directory.hpp"

namespace va::test {

struct PostgresServerOptions {
  std::chrono::seconds startup_timeout{30};
  std::chrono::seconds shutdown_timeout{30};
};

class PostgresServer {
 public:
  static std::filesystem::path bin_directory();
  // True when initdb, postgres and psql are installed (and, as root, the postgres user exists).
  static bool available();
  // What is missing and how to install it, for a failure message (tests fail, never skip, without it).
  static std::string unavailable_reason();

  // initdb, then start() — throws std::runtime_error with the command and its output when either fails.
  explicit PostgresServer(PostgresServerOptions options = {});
  ~PostgresServer();  // stop()
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  std::uint16_t port() const { return port_.port(); }
  const std::string& password() const { return password_; }
  // postgresql://postgres:PASSWORD@127.0.0.1:PORT/DATABASE
  std::string url(const std::string& database) const;

  // A new, empty database with a name unique in this server (t_1, t_2, ...).
  std::string create_database();
  // Runs `sql` in `database` with psql (over the unix socket) and returns what it printed (unaligned,
  // tuples only); throws std::runtime_error when psql fails.
  std::string sql(const std::string& database, const std::string& statement);

  // Starts the server on its port and data directory and waits until it accepts connections.
  void start();
  // Fast shutdown (SIGINT: sessions are ended, the data kept); SIGKILL when it does not end in time.
  void stop();
  bool running();

  // Everything the server wrote to stdout and stderr, across restarts.
  std::string log() const;

 private:
  std::vector<std::string> as_postgres_user(std::vector<std::string> argv) const;

  PostgresServerOptions options_;
  TempDirectory dir_;
  PortReservation port_;
  std::string password_;
  std::unique_ptr<Process> server_;
  std::string earlier_log_;
  int databases_ = 0;
};

}  // namespace va::test
