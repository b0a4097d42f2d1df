// Counting the heap allocations of a stretch of code, for the tests that prove a hot path allocation-free
// (style.md: per packet/frame). A test binary that uses it compiles support/allocation_window.cpp into
// itself (va_allocation_test in tests/CMakeLists.txt): that file replaces the global operator new family, so
// it must be in the executable, not in a library.
//
// One window at a time per process; allocations of every thread count while it is open. Under
// AddressSanitizer the sanitizer's malloc hook also counts every malloc of the process (C libraries such as
// the WebRTC VAD included): c_count().
#pragma once

#include <cstddef>

namespace va::test {

class AllocationWindow {
 public:
  // Opens at once unless told otherwise; the counts start at zero.
  explicit AllocationWindow(bool open_now = true);
  ~AllocationWindow();
  AllocationWindow(const AllocationWindow&) = delete;
  AllocationWindow& operator=(const AllocationWindow&) = delete;

  void open();
  // Stops counting and keeps the counts; returns count().
  std::size_t close();
  std::size_t count() const;    // operator new calls, so far or up to close()
  std::size_t c_count() const;  // malloc calls (AddressSanitizer builds; 0 otherwise)

 private:
  bool open_ = false;
  std::size_t count_ = 0;
  std::size_t c_count_ = 0;
};

}  // namespace va::test
