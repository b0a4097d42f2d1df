#include "support/free_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

namespace va::test {
namespace {

constexpr std::uint16_t kLowestCandidate = 20000;
constexpr std::uint16_t kHighestCandidate = 32000;  // exclusive; lowered to the ephemeral range's start

struct Registry {
  std::mutex mutex;
  std::set<std::uint16_t> held;  // ports reserved by this process
  int lock_fd = -1;              // $TMPDIR/va-test-ports.lock, kept open: closing it drops our locks
  std::mt19937 random{std::random_device{}()};
  std::uint16_t lowest = kLowestCandidate;
  std::uint16_t highest = kHighestCandidate;
};

Registry& registry() {
  static Registry* instance = [] {
    auto* r = new Registry;  // never destroyed: reservations may outlive static destruction order
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    unsigned ephemeral_low = 0;
    unsigned ephemeral_high = 0;
    if (range >> ephemeral_low >> ephemeral_high) {
      if (ephemeral_low >= r->lowest + 1000u && ephemeral_low < r->highest) {
        r->highest = static_cast<std::uint16_t>(ephemeral_low);
      } else if (ephemeral_low < r->lowest + 1000u && ephemeral_high + 1000u < 65535u) {
        r->lowest = static_cast<std::uint16_t>(ephemeral_high + 1);
        r->highest = 65535;
      }
    }
    const char* tmpdir = std::getenv("TMPDIR");
    const std::string dir = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
    r->lock_fd = ::open((dir + "/va-test-ports.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    return r;
  }();
  return *instance;
}

// A POSIX record lock on bytes [first, first + count) of the shared lock file; other test processes using
// this allocator see the ports as taken. Locks are per process, so the in-process set does the rest.
bool lock_range(int fd, std::uint16_t first, std::uint16_t count, short type) {
  if (fd < 0) return true;  // no lock file (read-only /tmp?): fall back to the bind check alone
  struct flock lock {};
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = first;
  lock.l_len = count;
  return ::fcntl(fd, F_SETLK, &lock) == 0;
}

bool can_bind(int family, int type, std::uint16_t port) {
  const int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return family == AF_INET6;  // no IPv6 on this host: only IPv4 matters
  bool ok = false;
  if (family == AF_INET) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  } else {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    address.sin6_addr = in6addr_loopback;
    ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 ||
         errno == EADDRNOTAVAIL;  // ::1 not configured
  }
  ::close(fd);
  return ok;
}

bool port_is_free(std::uint16_t port, PortProtocol protocol) {
  // No SO_REUSEADDR here on purpose: a peer that binds with it (Kamailio does) must still count as busy.
  for (const int family : {AF_INET, AF_INET6}) {
    if (protocol != PortProtocol::tcp && !can_bind(family, SOCK_DGRAM, port)) return false;
    if (protocol != PortProtocol::udp && !can_bind(family, SOCK_STREAM, port)) return false;
  }
  return true;
}

}  // namespace

PortReservation::~PortReservation() {
  release();
}

PortReservation::PortReservation(PortReservation&& other) noexcept
    : first_(other.first_), count_(other.count_) {
  other.count_ = 0;
}

PortReservation& PortReservation::operator=(PortReservation&& other) noexcept {
  if (this != &other) {
    release();
    first_ = other.first_;
    count_ = other.count_;
    other.count_ = 0;
  }
  return *this;
}

std::string PortReservation::range() const {
  return std::to_string(first()) + "-" + std::to_string(last());
}

void PortReservation::release() noexcept {
  if (count_ == 0) return;
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  for (std::uint16_t i = 0; i < count_; ++i) r.held.erase(static_cast<std::uint16_t>(first_ + i));
  lock_range(r.lock_fd, first_, count_, F_UNLCK);
  count_ = 0;
}

PortReservation reserve_port(PortProtocol protocol) {
  return reserve_port_block(1, protocol, false);
}

PortReservation reserve_rtp_ports(std::uint16_t count) {
  return reserve_port_block(count, PortProtocol::udp, true);
}

PortReservation reserve_port_block(std::uint16_t count, PortProtocol protocol, bool even_start) {
  if (count == 0) throw std::invalid_argument("reserve_port_block: count must be positive");
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  const unsigned span = static_cast<unsigned>(r.highest - r.lowest);
  if (count >= span) throw std::invalid_argument("reserve_port_block: block larger than the candidate range");
  std::uniform_int_distribution<unsigned> pick(0, span - count);
  for (int attempt = 0; attempt < 2000; ++attempt) {
    auto first = static_cast<std::uint16_t>(r.lowest + pick(r.random));
    if (even_start && first % 2 != 0) --first;
    bool free = true;
    for (std::uint16_t i = 0; i < count && free; ++i) {
      free = r.held.count(static_cast<std::uint16_t>(first + i)) == 0;
    }
    if (!free || !lock_range(r.lock_fd, first, count, F_WRLCK)) continue;
    for (std::uint16_t i = 0; i < count && free; ++i) {
      free = port_is_free(static_cast<std::uint16_t>(first + i), protocol);
    }
    if (!free) {
      lock_range(r.lock_fd, first, count, F_UNLCK);
      continue;
    }
    for (std::uint16_t i = 0; i < count; ++i) r.held.insert(static_cast<std::uint16_t>(first + i));
    return PortReservation(first, count);
  }
  throw std::runtime_error("reserve_port_block: no block of " + std::to_string(count) +
                           " free ports found on loopback");
}

}  // namespace va::test
