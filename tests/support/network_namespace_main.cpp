// main() of test programs built with va_test(... NETNS): the whole program, and every peer it starts, runs in
// a private network namespace (support/network_namespace.hpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <string_view>

#include "support/network_namespace.hpp"

int main(int argc, char** argv) {
  // gtest_discover_tests lists the tests at build time, perhaps without root: listing needs no network.
  bool listing = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with("--gtest_list_tests")) listing = true;
  }
  if (!listing) {
    if (auto problem = va::test::enter_private_network_namespace(); !problem.empty()) {
      std::fprintf(stderr,
                   "FAILED: this test program runs its WebRTC peers in a private network namespace and could "
                   "not create it: %s\n",
                   problem.c_str());
      return 1;
    }
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
