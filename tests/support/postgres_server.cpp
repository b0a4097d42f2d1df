#include "support/postgres_server.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>

#include "support/external_tool.hpp"

namespace va::test {
namespace {

constexpr const char* kSystemUser = "postgres";

bool running_as_root() {
  return ::geteuid() == 0;
}

// The uid and gid of the `postgres` system user, when it exists.
std::optional<std::pair<uid_t, gid_t>> system_user() {
  struct passwd* p = ::getpwnam(kSystemUser);
  if (!p) return std::nullopt;
  return std::make_pair(p->pw_uid, p->pw_gid);
}

std::string random_password() {
  std::random_device random;
  std::string password = "va-Pg-";
  const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
  for (int i = 0; i < 20; ++i) password += digits[random() % 36];
  return password;
}

void chown_or_throw(const std::filesystem::path& path, uid_t uid, gid_t gid) {
  if (::chown(path.c_str(), uid, gid) != 0)
    throw std::runtime_error("postgres harness: chown " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

std::filesystem::path PostgresServer::bin_directory() {
  if (const char* dir = std::getenv("VA_POSTGRES_BIN_DIR"); dir && *dir) return dir;
  return "/usr/lib/postgresql/15/bin";
}

bool PostgresServer::available() {
  return unavailable_reason().empty();
}

std::string PostgresServer::unavailable_reason() {
  std::string missing;
  for (const char* tool : {"initdb", "postgres", "psql"}) {
    auto path = bin_directory() / tool;
    if (::access(path.c_str(), X_OK) != 0) missing += " " + path.string();
  }
  if (!missing.empty())
    return "PostgreSQL 15 is not installed (missing" + missing +
           "): install Debian's postgresql package (scripts/setup does, VA_APT_TEST in scripts/versions.sh), "
           "or set VA_POSTGRES_BIN_DIR";
  if (running_as_root() && !system_user())
    return "running as root, and there is no `postgres` system user to run PostgreSQL as (it refuses root)";
  if (running_as_root() && !find_program("setpriv"))
    return "running as root, and setpriv (util-linux) is missing to run PostgreSQL as the postgres user";
  return "";
}

PostgresServer::PostgresServer(PostgresServerOptions options)
    : options_(options),
      dir_("postgres"),
      port_(reserve_port(PortProtocol::tcp)),
      password_(random_password()) {
  if (auto why = unavailable_reason(); !why.empty()) throw std::runtime_error(why);
  auto password_file = dir_.write_file("password", password_ + "\n");
  if (running_as_root()) {
    auto [uid, gid] = *system_user();
    chown_or_throw(dir_.path(), uid, gid);
    chown_or_throw(password_file, uid, gid);
  }
  // Local (unix socket) connections are trusted: the harness's psql. TCP ones need the password.
  std::vector<std::string> initdb = {(bin_directory() / "initdb").string(),
                                     "--pgdata=" + (dir_ / "data").string(),
                                     "--username=postgres",
                                     "--pwfile=" + password_file.string(),
                                     "--auth-local=trust",
                                     "--auth-host=scram-sha-256",
                                     "--encoding=UTF8",
                                     "--locale=C",
                                     "--no-sync"};
  auto run = run_tool(as_postgres_user(initdb), std::chrono::seconds(120));
  if (!run.ok()) throw std::runtime_error("postgres harness: initdb failed: " + run.describe(initdb));
  start();
}

PostgresServer::~PostgresServer() {
  try {
    stop();
  } catch (...) {
    // Destructors do not throw; the Process destructor kills what is left.
  }
}

std::vector<std::string> PostgresServer::as_postgres_user(std::vector<std::string> argv) const {
  if (!running_as_root()) return argv;
  // The parent-death signal is cleared when the credentials change: setpriv sets it again after, so a
  // crashed test leaves no server behind.
  std::vector<std::string> wrapped = {"setpriv",       "--reuid=postgres", "--regid=postgres",
                                      "--init-groups", "--pdeathsig",      "SIGKILL"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgresql://postgres:" + password_ + "@127.0.0.1:" + std::to_string(port()) + "/" + database;
}

void PostgresServer::start() {
  if (server_ && server_->running()) return;
  if (server_) earlier_log_ += server_->stdout_text() + server_->stderr_text();
  server_.reset();
  std::vector<std::string> argv = {(bin_directory() / "postgres").string(),
                                   "-D",
                                   (dir_ / "data").string(),
                                   "-p",
                                   std::to_string(port()),
                                   "-c",
                                   "listen_addresses=127.0.0.1",
                                   "-c",
                                   "unix_socket_directories=" + dir_.path().string(),
                                   "-c",
                                   "fsync=off",
                                   "-c",
                                   "full_page_writes=off",
                                   "-c",
                                   "synchronous_commit=off",
                                   "-c",
                                   "max_connections=100",
                                   "-c",
                                   "logging_collector=off"};
  server_ = std::make_unique<Process>(as_postgres_user(argv));
  if (!server_->wait_for_output("database system is ready to accept connections", Stream::either,
                                options_.startup_timeout)) {
    auto output = log();
    server_->send_signal(SIGKILL);
    throw std::runtime_error("postgres harness: the server did not become ready within " +
                             std::to_string(options_.startup_timeout.count()) + " s: " + command_line(argv) +
                             "\n" + tail(output));
  }
}

void PostgresServer::stop() {
  if (!server_ || !server_->running()) return;
  server_->send_signal(SIGINT);
  server_->wait_for_exit(options_.shutdown_timeout);  // SIGKILL when it does not end in time
  earlier_log_ += server_->stdout_text() + server_->stderr_text();
  server_.reset();
}

bool PostgresServer::running() {
  return server_ && server_->running();
}

std::string PostgresServer::log() const {
  return earlier_log_ + (server_ ? server_->stdout_text() + server_->stderr_text() : std::string());
}

std::string PostgresServer::create_database() {
  auto name = "t_" + std::to_string(++databases_);
  sql("postgres", "CREATE DATABASE " + name);
  return name;
}

std::string PostgresServer::sql(const std::string& database, const std::string& statement) {
  std::vector<std::string> argv = {(bin_directory() / "psql").string(),
                                   "--no-psqlrc",
                                   "--quiet",
                                   "--tuples-only",
                                   "--no-align",
                                   "--set=ON_ERROR_STOP=1",
                                   "--host=" + dir_.path().string(),
                                   "--port=" + std::to_string(port()),
                                   "--username=postgres",
                                   "--dbname=" + database,
                                   "--command=" + statement};
  auto run = run_tool(argv, std::chrono::seconds(60));
  if (!run.ok()) throw std::runtime_error("postgres harness: " + run.describe(argv));
  auto out = run.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace va::test
