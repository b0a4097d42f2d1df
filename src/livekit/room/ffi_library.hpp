// liblivekit_ffi, LiveKit's Rust core (WebRTC, Opus, the room protocol), loaded at run time with dlopen
// (../shared/facts/livekit-ffi.md): voice-agent builds and runs without the file, and only a LiveKit room leg
// needs it. Its C ABI is four functions; requests, responses and events are protobuf messages of the protocol
// compiled from the same pinned wheel (va_livekit_ffi_proto).
//
// One library per process: the first successful load() initialises it with a C callback and it stays
// loaded (never dlclose'd: the Rust runtime's threads and thread-locals live in it). shutdown() disposes it
// (livekit_ffi_dispose closes every room) before the process exits.
//
// Threading: request() and drop() may be called from any thread. The callback runs on the library's own
// threads; it parses the FfiEvent and hands it to the route's FfiEventSink, which only enqueues it onto its
// owner's executor (design.md: "The LiveKit FFI callback thread only enqueues; it never does work").
// Routes: a request's async id (its callback), a room handle (room events), an audio stream handle (frames).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.hpp"
#include "livekit/room/ffi_handle.hpp"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace livekit::proto {
class FfiRequest;
class FfiResponse;
class FfiEvent;
}  // namespace livekit::proto

namespace va::livekit::room {

namespace proto = ::livekit::proto;

// Where `scripts/setup` installs the library of the pinned version (VA_LIVEKIT_FFI_DIR/lib at build time).
std::filesystem::path default_ffi_library_path();
// The PyPI `livekit` version whose FFI protocol this build speaks (the wheel the library must come from).
std::string_view ffi_protocol_version();

// Why the library cannot be used, naming the file and what is missing or wrong.
struct FfiLoadError {
  std::string message;
};

// An event and the handles it carried (adopted at once, so they are dropped even if nobody takes them).
struct FfiDelivery {
  std::unique_ptr<proto::FfiEvent> event;
  FfiHandles handles;
};

// The owner of a route. enqueue() runs on the library's callback thread: it must not block or call into
// the library; it posts the delivery to its owner's executor.
class FfiEventSink {
 public:
  virtual ~FfiEventSink() = default;
  virtual void enqueue(std::shared_ptr<FfiDelivery> delivery) = 0;
};

// Which sink an event belongs to. Thread-safe (the callback thread reads, owners write).
class FfiEventRouter {
 public:
  // A fresh async id for a request (from a range the library's own ids never reach).
  std::uint64_t next_async_id() { return next_async_id_.fetch_add(1, std::memory_order_relaxed); }

  // The callback of request `async_id` goes to `sink` (once: the route is removed when it arrives).
  void route_callback(std::uint64_t async_id, std::weak_ptr<FfiEventSink> sink);
  void forget_callback(std::uint64_t async_id);
  // Room events of `room_handle`. A connect callback routes its new room to the connect's sink by itself,
  // before any event of that room can arrive.
  void route_room(std::uint64_t room_handle, std::weak_ptr<FfiEventSink> sink);
  void forget_room(std::uint64_t room_handle);
  // Frames and end of stream of `stream_handle`.
  void route_stream(std::uint64_t stream_handle, std::weak_ptr<FfiEventSink> sink);
  void forget_stream(std::uint64_t stream_handle);

  // The live sink `event` belongs to, or null (no route, or its owner is gone).
  std::shared_ptr<FfiEventSink> find(const proto::FfiEvent& event);
  std::size_t routes() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::weak_ptr<FfiEventSink>> callbacks_;
  std::unordered_map<std::uint64_t, std::weak_ptr<FfiEventSink>> rooms_;
  std::unordered_map<std::uint64_t, std::weak_ptr<FfiEventSink>> streams_;
  std::atomic<std::uint64_t> next_async_id_{std::uint64_t{1} << 48};
};

// What a request returned: the parsed response (the library's handle of it already dropped) and the handles
// it carries (a new source, track, stream), adopted.
struct FfiReply {
  std::unique_ptr<proto::FfiResponse> response;
  FfiHandles handles;
};
using FfiResult = Result<FfiReply, std::string>;

class FfiLibrary {
 public:
  // The process's library: loads and initialises it from `path` on the first call that succeeds; later calls
  // return the same library whatever their path. Errors (file missing, not liblivekit_ffi, another protocol
  // version) are returned every time, with the file's path.
  //
  // What is checked: dlopen(RTLD_NOW) succeeds (the file exists, its own dependencies and glibc symbols
  // resolve); the four C functions exist; and after initialisation a probe request that protocol 1.2.1
  // answers with a `new_audio_source` response (the first request a room leg makes) gets exactly that
  // response, with a handle. A library of another protocol answers with no handle (it cannot decode the
  // request) or with a different response case, and is reported as "speaks another protocol".
  static Result<FfiLibrary*, FfiLoadError> load(
      const std::filesystem::path& path = default_ffi_library_path());

  // Only dlopen and the symbols (no initialisation, no process-wide state): what `check` and the tests of
  // load errors use. Unloads the file again.
  static std::optional<FfiLoadError> probe_file(const std::filesystem::path& path);

  // The library if load() succeeded before, else null.
  static FfiLibrary* loaded();

  // Sends one request; returns its response, or why there is none (the library refused it).
  FfiResult request(const proto::FfiRequest& request);
  // Drops a handle (FfiHandle calls this). A no-op after shutdown().
  void drop(std::uint64_t handle);
  // Adopts every FfiOwnedHandle found (recursively) in a response or event.
  FfiHandles adopt(const google::protobuf::Message& message);
  // Adopts one handle id.
  FfiHandle adopt(std::uint64_t id) { return FfiHandle(*this, id); }

  FfiEventRouter& router() { return router_; }
  const std::filesystem::path& path() const { return path_; }
  // Handles adopted and not dropped yet (every FfiHandle of this process): 0 when all legs are gone.
  std::int64_t live_handles() const { return live_handles_.load(); }
  // Events that found no route (their handles were dropped at once).
  std::uint64_t unrouted_events() const { return unrouted_events_.load(); }

  // livekit_ffi_dispose: closes every room, blocks until done. Call once, at the end of the process, after
  // the legs are gone. Later drops are no-ops.
  static void shutdown();

  ~FfiLibrary();  // never runs for the process's library (see load())
  FfiLibrary(const FfiLibrary&) = delete;
  FfiLibrary& operator=(const FfiLibrary&) = delete;

 private:
  friend class FfiHandle;
  struct Symbols;
  FfiLibrary(std::filesystem::path path, std::unique_ptr<Symbols> symbols);
  // dlopen and the four symbols; on success the file stays open in `out`.
  static std::optional<FfiLoadError> open_symbols(const std::filesystem::path& path,
                                                  std::unique_ptr<Symbols>& out);
  static void on_event(const std::uint8_t* data, std::size_t size);
  void dispatch(const std::uint8_t* data, std::size_t size);

  std::filesystem::path path_;
  std::unique_ptr<Symbols> symbols_;
  FfiEventRouter router_;
  std::atomic<std::int64_t> live_handles_{0};
  std::atomic<std::uint64_t> unrouted_events_{0};
  std::atomic<bool> disposed_{false};
};

}  // namespace va::livekit::room
