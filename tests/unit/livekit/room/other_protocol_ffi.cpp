// A shared library with liblivekit_ffi's four C functions that answers every request with an empty
// response (no response kind set), as a library of another protocol version answers a request whose
// fields it numbers differently. Only the loader's version check talks to it.
#include <cstddef>
#include <cstdint>

namespace {
const std::uint8_t kEmptyResponse[1] = {0};
}

extern "C" {
void livekit_ffi_initialize(void (*)(const std::uint8_t*, std::size_t), bool, const char*, const char*) {}
std::uint64_t livekit_ffi_request(const std::uint8_t*, std::size_t, const std::uint8_t** response,
                                  std::size_t* size) {
  *response = kEmptyResponse;
  *size = 0;
  return 7;
}
bool livekit_ffi_drop_handle(std::uint64_t) {
  return true;
}
void livekit_ffi_dispose() {}
}
