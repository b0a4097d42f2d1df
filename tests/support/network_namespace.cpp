#include "support/network_namespace.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <vector>

#include "support/external_tool.hpp"

namespace va::test {
namespace {

std::optional<PrivateNetwork> entered;

std::size_t thread_count() {
  std::error_code ec;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  return count;
}

std::optional<std::filesystem::path> find_ip() {
  if (auto ip = find_program("ip")) return ip;
  // root's PATH usually has the sbin directories, a test runner's may not
  for (const char* candidate : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(candidate, X_OK) == 0) return std::filesystem::path(candidate);
  }
  return std::nullopt;
}

// The address must be usable before any peer relies on it: a UDP bind proves it is configured and up.
std::string check_bindable(const std::string& address) {
  sockaddr_in where{};
  where.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &where.sin_addr) != 1) return "not an IPv4 address: " + address;
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&where), sizeof where) == 0;
  const int error = errno;
  ::close(fd);
  return ok ? std::string() : "cannot bind " + address + ": " + std::strerror(error);
}

}  // namespace

std::string enter_private_network_namespace(const PrivateNetwork& network) {
  if (entered) return "a private network namespace was already entered";
  if (::geteuid() != 0) {
    return "creating a network namespace needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN); this test runs as "
           "uid " +
           std::to_string(::geteuid());
  }
  const auto ip = find_ip();
  if (!ip) return "`ip` (Debian iproute2) is not installed: run scripts/setup";
  if (const auto threads = thread_count(); threads != 1) {
    return std::to_string(threads) +
           " threads already run: the namespace must be entered before any thread starts (it applies to the "
           "calling thread only)";
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    return std::string("unshare(CLONE_NEWNET): ") + std::strerror(errno);
  }
  const auto cidr = network.address + "/" + std::to_string(network.prefix_length);
  const std::vector<std::vector<std::string>> steps = {
      {ip->string(), "link", "set", "lo", "up"},
      {ip->string(), "link", "add", network.interface, "type", "veth", "peer", "name",
       network.peer_interface},
      {ip->string(), "addr", "add", cidr, "dev", network.interface},
      {ip->string(), "link", "set", network.interface, "up"},
      {ip->string(), "link", "set", network.peer_interface, "up"},
  };
  for (const auto& step : steps) {
    // run_tool starts a thread to drain the tool's output: threads started now inherit the new namespace.
    if (auto run = run_tool(step, std::chrono::seconds(10)); !run.ok()) {
      return "setting up the private network failed: " + run.describe(step);
    }
  }
  if (auto problem = check_bindable(network.address); !problem.empty()) {
    return "the private network is not usable: " + problem;
  }
  entered = network;
  return {};
}

const PrivateNetwork* private_network() {
  return entered ? &*entered : nullptr;
}

}  // namespace va::test
