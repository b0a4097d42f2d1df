// A private network for tests whose peers speak WebRTC (livekit-server, liblivekit_ffi, the LiveKit Python
// SDK): WebRTC stacks never gather loopback candidates, and the machine's real interfaces are off limits to
// tests. The test program moves itself into a network namespace of its own, with `lo` up and a veth pair
// (va0 10.77.0.1/24 and its peer va1, both up) that exists only there. Every child it starts inherits the
// namespace: signalling and Redis stay on 127.0.0.1, ICE uses 10.77.0.1, and nothing can leave.
//
// Namespaces belong to threads: unshare(CLONE_NEWNET) moves only the calling thread, and threads started
// later inherit from the thread that starts them. So the move happens in main() before any thread exists
// (support/network_namespace_main.cpp, chosen with `va_test(... NETNS)` in tests/CMakeLists.txt) and fails
// when a second thread already runs. It needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN) and `ip` (iproute2).
#pragma once

#include <string>

namespace va::test {

struct PrivateNetwork {
  std::string interface = "va0";
  std::string peer_interface = "va1";
  std::string address = "10.77.0.1";  // a private address no test host routes to
  int prefix_length = 24;
};

// Moves this process (its only thread) into a new network namespace set up as `network` says. Returns why it
// could not (not root, a thread already running, `ip` missing or failing), empty on success. Call once.
std::string enter_private_network_namespace(const PrivateNetwork& network = {});

// The network entered by enter_private_network_namespace(), or nullptr when this process did not enter one.
const PrivateNetwork* private_network();

}  // namespace va::test

// First line of a test that needs the private network (its binary must be built with va_test(... NETNS)).
#define VA_REQUIRE_PRIVATE_NETWORK()                                                                 \
  if (::va::test::private_network() == nullptr)                                                      \
  FAIL() << "this test must run inside its own network namespace: build it with va_test(... NETNS) " \
            "(tests/CMakeLists.txt)"
