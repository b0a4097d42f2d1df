#include "support/allocation_window.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
// The sanitizer runtime's hook API (sanitizer/allocator_interface.h, which g++ 12 does not install).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             std::size_t),
                                                         void (*free_hook)(const volatile void*));
#define VA_COUNT_MALLOC 1
#endif

namespace {
std::atomic<bool> counting{false};
std::atomic<std::size_t> allocations{0};    // operator new
std::atomic<std::size_t> c_allocations{0};  // malloc (AddressSanitizer builds)

// Where a window sees an allocation: `gdb -ex "break '(anonymous namespace)::allocation_seen'"` shows who.
__attribute__((noinline)) void allocation_seen() {
  asm volatile("");
}
void* counted_allocation(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    allocation_seen();
  }
  return std::malloc(size == 0 ? 1 : size);
}

#ifdef VA_COUNT_MALLOC
void on_malloc(const volatile void*, std::size_t) {
  if (counting.load(std::memory_order_relaxed)) {
    c_allocations.fetch_add(1, std::memory_order_relaxed);
    allocation_seen();
  }
}
void on_free(const volatile void*) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
#endif
}  // namespace

// The whole family of (unaligned) global allocation functions, so that every allocation and deallocation
// goes through the same malloc/free pair (AddressSanitizer checks that they match).
void* operator new(std::size_t size) {
  if (void* p = counted_allocation(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_allocation(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocation(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocation(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

namespace va::test {

AllocationWindow::AllocationWindow(bool open_now) {
  if (open_now) open();
}

AllocationWindow::~AllocationWindow() {
  close();
}

void AllocationWindow::open() {
  allocations = 0;
  c_allocations = 0;
  open_ = true;
  counting = true;
}

std::size_t AllocationWindow::close() {
  if (open_) {
    counting = false;
    open_ = false;
    count_ = allocations.load();
    c_count_ = c_allocations.load();
  }
  return count_;
}

std::size_t AllocationWindow::count() const {
  return open_ ? allocations.load() : count_;
}

std::size_t AllocationWindow::c_count() const {
  return open_ ? c_allocations.load() : c_count_;
}

}  // namespace va::test
