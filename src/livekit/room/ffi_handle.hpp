// An FFI handle of liblivekit_ffi, owned (docs/architecture.md "LiveKit room leg"): every object the library
// hands out — a room, a participant, a track, an audio stream, a received frame buffer, a response — is a
// handle id that the owner must drop exactly once with livekit_ffi_drop_handle. FfiHandle drops it when it is
// destroyed or reset, so no path (an error, an event for a leg that is already gone) can leak one.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace va::livekit::room {

class FfiLibrary;

class FfiHandle {
 public:
  FfiHandle() = default;
  // Takes ownership of `id` (0, the library's invalid handle, owns nothing).
  FfiHandle(FfiLibrary& library, std::uint64_t id);
  ~FfiHandle() { reset(); }
  FfiHandle(FfiHandle&& other) noexcept
      : library_(std::exchange(other.library_, nullptr)), id_(std::exchange(other.id_, 0)) {}
  FfiHandle& operator=(FfiHandle&& other) noexcept {
    if (this != &other) {
      reset();
      library_ = std::exchange(other.library_, nullptr);
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  FfiHandle(const FfiHandle&) = delete;
  FfiHandle& operator=(const FfiHandle&) = delete;

  std::uint64_t id() const { return id_; }
  explicit operator bool() const { return id_ != 0; }
  // Drops the handle now.
  void reset();

 private:
  FfiLibrary* library_ = nullptr;
  std::uint64_t id_ = 0;
};

// The handles an event or response carried (every FfiOwnedHandle in it, found by reflection). The receiver
// take()s the ones it keeps; the rest are dropped with the collection.
class FfiHandles {
 public:
  FfiHandles() = default;
  explicit FfiHandles(std::vector<FfiHandle> handles) : handles_(std::move(handles)) {}

  // The handle `id` (moved out), or an empty handle when the collection does not hold it.
  FfiHandle take(std::uint64_t id);
  std::size_t size() const { return handles_.size(); }

 private:
  std::vector<FfiHandle> handles_;
};

}  // namespace va::livekit::room
