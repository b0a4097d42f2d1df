#include "livekit/room/ffi_library.hpp"

#include <dlfcn.h>
#include <ffi.pb.h>

#include <string_view>
#include <vector>

#include "common/log.hpp"
#include "common/version.hpp"

#ifndef VA_LIVEKIT_FFI_LIBRARY
#error "VA_LIVEKIT_FFI_LIBRARY (the default library path) is set by src/livekit/room/CMakeLists.txt"
#endif

namespace va::livekit::room {

namespace pb = google::protobuf;

std::filesystem::path default_ffi_library_path() {
  return VA_LIVEKIT_FFI_LIBRARY;
}

std::string_view ffi_protocol_version() {
  return VA_LIVEKIT_PY_VERSION;
}

// ---- handles ----

FfiHandle::FfiHandle(FfiLibrary& library, std::uint64_t id)
    : library_(id != 0 ? &library : nullptr), id_(id) {
  if (library_ != nullptr) library_->live_handles_.fetch_add(1, std::memory_order_relaxed);
}

void FfiHandle::reset() {
  if (library_ == nullptr || id_ == 0) return;
  library_->drop(id_);
  library_->live_handles_.fetch_sub(1, std::memory_order_relaxed);
  library_ = nullptr;
  id_ = 0;
}

FfiHandle FfiHandles::take(std::uint64_t id) {
  for (auto& handle : handles_) {
    if (handle.id() == id && id != 0) return std::move(handle);
  }
  return {};
}

// ---- routing ----

void FfiEventRouter::route_callback(std::uint64_t async_id, std::weak_ptr<FfiEventSink> sink) {
  std::lock_guard lock(mutex_);
  callbacks_[async_id] = std::move(sink);
}
void FfiEventRouter::forget_callback(std::uint64_t async_id) {
  std::lock_guard lock(mutex_);
  callbacks_.erase(async_id);
}
void FfiEventRouter::route_room(std::uint64_t room_handle, std::weak_ptr<FfiEventSink> sink) {
  std::lock_guard lock(mutex_);
  rooms_[room_handle] = std::move(sink);
}
void FfiEventRouter::forget_room(std::uint64_t room_handle) {
  std::lock_guard lock(mutex_);
  rooms_.erase(room_handle);
}
void FfiEventRouter::route_stream(std::uint64_t stream_handle, std::weak_ptr<FfiEventSink> sink) {
  std::lock_guard lock(mutex_);
  streams_[stream_handle] = std::move(sink);
}
void FfiEventRouter::forget_stream(std::uint64_t stream_handle) {
  std::lock_guard lock(mutex_);
  streams_.erase(stream_handle);
}
std::size_t FfiEventRouter::routes() const {
  std::lock_guard lock(mutex_);
  return callbacks_.size() + rooms_.size() + streams_.size();
}

namespace {

// The async id of a callback event: every *Callback message of the protocol has `uint64 async_id = 1`.
std::optional<std::uint64_t> async_id_of(const proto::FfiEvent& event) {
  const auto* oneof = proto::FfiEvent::descriptor()->FindOneofByName("message");
  const auto* reflection = event.GetReflection();
  const auto* field = reflection->GetOneofFieldDescriptor(event, oneof);
  if (field == nullptr || field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) return std::nullopt;
  const auto& inner = reflection->GetMessage(event, field);
  const auto* id = inner.GetDescriptor()->FindFieldByName("async_id");
  if (id == nullptr || id->cpp_type() != pb::FieldDescriptor::CPPTYPE_UINT64) return std::nullopt;
  return inner.GetReflection()->GetUInt64(inner, id);
}

}  // namespace

std::shared_ptr<FfiEventSink> FfiEventRouter::find(const proto::FfiEvent& event) {
  std::lock_guard lock(mutex_);
  auto lookup = [](auto& map, std::uint64_t key) -> std::shared_ptr<FfiEventSink> {
    auto it = map.find(key);
    if (it == map.end()) return nullptr;
    auto sink = it->second.lock();
    if (!sink) map.erase(it);
    return sink;
  };
  switch (event.message_case()) {
    case proto::FfiEvent::kRoomEvent:
      return lookup(rooms_, event.room_event().room_handle());
    case proto::FfiEvent::kAudioStreamEvent:
      return lookup(streams_, event.audio_stream_event().stream_handle());
    default:
      break;
  }
  auto id = async_id_of(event);
  if (!id) return nullptr;
  auto it = callbacks_.find(*id);
  if (it == callbacks_.end()) return nullptr;
  auto sink = it->second.lock();
  callbacks_.erase(it);
  // The room of a successful connect is routed before its first event can be looked up (events of a room
  // come after its connect callback, on the same callback path).
  if (sink && event.message_case() == proto::FfiEvent::kConnect && event.connect().has_result()) {
    rooms_[event.connect().result().room().handle().id()] = sink;
  }
  return sink;
}

// ---- the library ----

struct FfiLibrary::Symbols {
  using Callback = void (*)(const std::uint8_t*, std::size_t);
  using Initialize = void (*)(Callback, bool, const char*, const char*);
  using Request = std::uint64_t (*)(const std::uint8_t*, std::size_t, const std::uint8_t**, std::size_t*);
  using DropHandle = bool (*)(std::uint64_t);
  using Dispose = void (*)();

  void* dl = nullptr;
  Initialize initialize = nullptr;
  Request request = nullptr;
  DropHandle drop_handle = nullptr;
  Dispose dispose = nullptr;
};

namespace {

std::mutex g_load_mutex;
std::atomic<FfiLibrary*> g_library{nullptr};
std::optional<FfiLoadError> g_load_failure;
FfiLibrary* g_rejected_library = nullptr;  // an initialised library that failed the protocol probe

constexpr std::string_view kInstallHint =
    " (scripts/setup installs the pinned PyPI livekit wheel's liblivekit_ffi; LiveKit room calls need it, "
    "direct "
    "SIP and bridge mode do not)";

}  // namespace

std::optional<FfiLoadError> FfiLibrary::probe_file(const std::filesystem::path& path) {
  std::unique_ptr<Symbols> symbols;
  if (auto error = open_symbols(path, symbols)) return error;
  dlclose(symbols->dl);
  return std::nullopt;
}

std::optional<FfiLoadError> FfiLibrary::open_symbols(const std::filesystem::path& path,
                                                     std::unique_ptr<Symbols>& out) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return FfiLoadError{"liblivekit_ffi not found: " + path.string() + " does not exist" +
                        std::string(kInstallHint)};
  }
  void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (dl == nullptr) {
    const char* why = dlerror();
    return FfiLoadError{"cannot load liblivekit_ffi from " + path.string() + ": " +
                        (why ? why : "dlopen failed")};
  }
  auto symbols = std::make_unique<FfiLibrary::Symbols>();
  symbols->dl = dl;
  std::vector<std::string> missing;
  auto resolve = [&](const char* name, auto& fn) {
    void* address = dlsym(dl, name);
    if (address == nullptr) missing.emplace_back(name);
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(address);
  };
  resolve("livekit_ffi_initialize", symbols->initialize);
  resolve("livekit_ffi_request", symbols->request);
  resolve("livekit_ffi_drop_handle", symbols->drop_handle);
  resolve("livekit_ffi_dispose", symbols->dispose);
  if (!missing.empty()) {
    dlclose(dl);
    std::string list;
    for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
    return FfiLoadError{path.string() + " is not liblivekit_ffi: it does not export " + list};
  }
  out = std::move(symbols);
  return std::nullopt;
}

FfiLibrary::FfiLibrary(std::filesystem::path path, std::unique_ptr<Symbols> symbols)
    : path_(std::move(path)), symbols_(std::move(symbols)) {}

FfiLibrary::~FfiLibrary() = default;

FfiLibrary* FfiLibrary::loaded() {
  return g_library.load();
}

Result<FfiLibrary*, FfiLoadError> FfiLibrary::load(const std::filesystem::path& path) {
  std::lock_guard lock(g_load_mutex);
  if (auto* library = g_library.load()) return library;
  if (g_load_failure) return *g_load_failure;

  std::unique_ptr<Symbols> symbols;
  if (auto error = open_symbols(path, symbols)) return *error;

  // Deliberately never destroyed: the library's threads may call back until the process exits.
  auto* library = std::unique_ptr<FfiLibrary>(new FfiLibrary(path, std::move(symbols))).release();
  g_library.store(library);
  library->symbols_->initialize(&FfiLibrary::on_event, false, "cpp", va::kVersion);

  // The protocol probe (see the header): the request a leg makes first.
  proto::FfiRequest probe;
  auto* source = probe.mutable_new_audio_source();
  source->set_type(proto::AUDIO_SOURCE_NATIVE);
  source->set_sample_rate(16000);
  source->set_num_channels(1);
  auto reply = library->request(probe);
  std::string wrong;
  if (!reply.ok()) {
    wrong = reply.error();
  } else if (!reply->response->has_new_audio_source() ||
             reply->response->new_audio_source().source().handle().id() == 0) {
    wrong = "it answered a new_audio_source request with another response (field " +
            std::to_string(static_cast<int>(reply->response->message_case())) + ")";
  }
  if (!wrong.empty()) {
    g_library.store(nullptr);
    g_rejected_library = library;  // initialised, so it stays loaded (and reachable)
    g_load_failure = FfiLoadError{path.string() +
                                  " speaks another protocol than the one voice-agent was built with (LiveKit "
                                  "FFI of PyPI livekit " VA_LIVEKIT_PY_VERSION "): " +
                                  wrong};
    return *g_load_failure;
  }
  log::info("liblivekit_ffi loaded", {{"path", path.string()}});
  return library;
}

FfiResult FfiLibrary::request(const proto::FfiRequest& request) {
  std::string bytes;
  request.SerializePartialToString(&bytes);
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  auto handle =
      symbols_->request(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), &data, &size);
  if (handle == 0) {
    const auto* oneof = proto::FfiRequest::descriptor()->FindOneofByName("message");
    const auto* field = request.GetReflection()->GetOneofFieldDescriptor(request, oneof);
    return std::string("liblivekit_ffi refused the request ") + (field ? field->name() : "(empty)");
  }
  auto response = std::make_unique<proto::FfiResponse>();
  bool parsed = response->ParsePartialFromArray(data, static_cast<int>(size));
  symbols_->drop_handle(handle);
  if (!parsed) return std::string("liblivekit_ffi answered with an unreadable response");
  auto handles = adopt(*response);
  return FfiReply{std::move(response), std::move(handles)};
}

void FfiLibrary::drop(std::uint64_t handle) {
  if (handle == 0 || disposed_.load()) return;
  symbols_->drop_handle(handle);
}

namespace {

void collect_handles(FfiLibrary& library, const pb::Message& message, std::vector<FfiHandle>& out) {
  const auto* descriptor = message.GetDescriptor();
  const auto* reflection = message.GetReflection();
  if (descriptor == proto::FfiOwnedHandle::descriptor()) {
    auto id =
        reflection->GetUInt64(message, descriptor->FindFieldByNumber(proto::FfiOwnedHandle::kIdFieldNumber));
    if (id != 0) out.push_back(library.adopt(id));
    return;
  }
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        collect_handles(library, reflection->GetRepeatedMessage(message, field, i), out);
      }
    } else {
      collect_handles(library, reflection->GetMessage(message, field), out);
    }
  }
}

}  // namespace

FfiHandles FfiLibrary::adopt(const pb::Message& message) {
  std::vector<FfiHandle> handles;
  collect_handles(*this, message, handles);
  return FfiHandles(std::move(handles));
}

void FfiLibrary::on_event(const std::uint8_t* data, std::size_t size) {
  if (auto* library = g_library.load()) library->dispatch(data, size);
}

void FfiLibrary::dispatch(const std::uint8_t* data, std::size_t size) {
  auto event = std::make_unique<proto::FfiEvent>();
  if (!event->ParsePartialFromArray(data, static_cast<int>(size))) {
    unrouted_events_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (event->message_case() == proto::FfiEvent::kPanic) {
    // A Rust panic inside the library: it aborts the process after this in most cases; say why first.
    log::error("liblivekit_ffi panicked", {{"message", event->panic().message()}});
    return;
  }
  auto handles = adopt(*event);
  auto sink = router_.find(*event);
  if (!sink) {
    unrouted_events_.fetch_add(1, std::memory_order_relaxed);
    return;  // its handles are dropped here
  }
  sink->enqueue(std::make_shared<FfiDelivery>(FfiDelivery{std::move(event), std::move(handles)}));
}

void FfiLibrary::shutdown() {
  auto* library = g_library.load();
  if (library == nullptr || library->disposed_.load()) return;
  library->symbols_->dispose();
  library->disposed_.store(true);
}

}  // namespace va::livekit::room
