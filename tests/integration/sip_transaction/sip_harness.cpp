#include "sip_harness.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "common/log.hpp"
#include "sip/stream_framer.hpp"

namespace va::sip::test {

namespace {

// The layer logs each listener at info; keep test output to warnings unless VA_TEST_LOG is set.
class QuietLogs : public ::testing::Environment {
 public:
  void SetUp() override {
    if (std::getenv("VA_TEST_LOG") != nullptr) return;
    log::Options options;
    options.level = log::Level::warn;
    log::init(options);
  }
};

[[maybe_unused]] const auto* const kQuietLogs = ::testing::AddGlobalTestEnvironment(new QuietLogs);

}  // namespace

TimerSettings fast_timers() {
  TimerSettings t;
  t.t1 = 10ms;
  t.t2 = 40ms;
  t.t4 = 50ms;
  t.timer_d = 100ms;
  return t;
}

TransactionLayerOptions layer_options(std::vector<std::string> listen, TimerSettings timers) {
  TransactionLayerOptions options;
  options.transport.listen = std::move(listen);
  options.timers = timers;
  options.transport.connections.sweep_interval = 20ms;
  return options;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

Endpoint loopback(std::uint16_t port) {
  return Endpoint{boost::asio::ip::make_address("127.0.0.1"), port};
}

// ---- IoRunner

IoRunner::IoRunner() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}

IoRunner::~IoRunner() {
  guard_.reset();
  io_.stop();
  thread_.join();
}

// ---- RecordingUser

void RecordingUser::record(Event event) {
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
  changed_.notify_all();
}

void RecordingUser::on_request(const ServerTransactionHandle& transaction, const IncomingMessage& request) {
  record(Event{Kind::request, request.message, request.flow, transaction, {}, {}});
  if (on_request_hook) on_request_hook(transaction, request);
}

void RecordingUser::on_cancel(const ServerTransactionHandle& cancel, const ServerTransactionHandle& invite,
                              const IncomingMessage& request) {
  record(Event{Kind::cancel, request.message, request.flow, cancel, invite, {}});
  if (answer_cancel_by_default) TransactionUser::on_cancel(cancel, invite, request);
}

void RecordingUser::on_stray_request(const IncomingMessage& request) {
  record(Event{Kind::stray_request, request.message, request.flow, {}, {}, {}});
}

void RecordingUser::on_stray_response(const IncomingMessage& response) {
  record(Event{Kind::stray_response, response.message, response.flow, {}, {}, {}});
}

void RecordingUser::on_server_transaction_failed(const ServerTransactionHandle& transaction,
                                                 ServerTransactionFailure failure) {
  record(Event{Kind::failure,
               transaction.valid() ? transaction.request() : Message::response(500),
               {},
               transaction,
               {},
               failure});
}

std::size_t RecordingUser::count(Kind kind) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& e : events_)
    if (e.kind == kind) ++n;
  return n;
}

std::optional<RecordingUser::Event> RecordingUser::wait_for(Kind kind, std::size_t n,
                                                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<Event> found;
  changed_.wait_for(lock, timeout, [&] {
    std::size_t seen = 0;
    for (const auto& e : events_) {
      if (e.kind == kind && ++seen == n) {
        found = e;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::vector<RecordingUser::Event> RecordingUser::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

// ---- ResponseLog

ResponseHandler ResponseLog::handler() {
  return [this](const ClientResponse& response) {
    std::lock_guard lock(mutex_);
    responses_.push_back(response);
    changed_.notify_all();
  };
}

std::optional<ClientResponse> ResponseLog::wait(const std::function<bool(const ClientResponse&)>& match,
                                                std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<ClientResponse> found;
  changed_.wait_for(lock, timeout, [&] {
    for (const auto& r : responses_) {
      if (match(r)) {
        found = r;
        return true;
      }
    }
    return false;
  });
  return found;
}

std::optional<ClientResponse> ResponseLog::wait_for_status(int status, std::chrono::milliseconds timeout) {
  return wait([status](const ClientResponse& r) { return r.message.status() == status; }, timeout);
}

std::optional<ClientResponse> ResponseLog::wait_for_final(std::chrono::milliseconds timeout) {
  return wait([](const ClientResponse& r) { return r.message.status() >= 200; }, timeout);
}

std::vector<ClientResponse> ResponseLog::responses() const {
  std::lock_guard lock(mutex_);
  return responses_;
}

std::size_t ResponseLog::count(int status) const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& r : responses_)
    if (r.message.status() == status) ++n;
  return n;
}

// ---- sockets

namespace {

Endpoint endpoint_of(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    boost::asio::ip::address_v6::bytes_type bytes;
    std::memcpy(bytes.data(), &a->sin6_addr, 16);
    return Endpoint{boost::asio::ip::address_v6(bytes), ntohs(a->sin6_port)};
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
  return Endpoint{boost::asio::ip::address_v4(ntohl(a->sin_addr.s_addr)), ntohs(a->sin_port)};
}

socklen_t sockaddr_of(const Endpoint& e, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (e.address.is_v6()) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(e.port);
    auto bytes = e.address.to_v6().to_bytes();
    std::memcpy(&a->sin6_addr, bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* a = reinterpret_cast<sockaddr_in*>(&ss);
  a->sin_family = AF_INET;
  a->sin_port = htons(e.port);
  a->sin_addr.s_addr = htonl(e.address.to_v4().to_uint());
  return sizeof(sockaddr_in);
}

Endpoint local_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return endpoint_of(ss);
}

bool readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) > 0;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

Message Datagram::message() const {
  auto parsed = parse_message(data);
  EXPECT_TRUE(parsed.ok()) << data;
  if (!parsed) return Message::response(500);
  return std::move(parsed).value();
}

RawUdp::RawUdp(const std::string& ip) {
  Endpoint bind_to{boost::asio::ip::make_address(ip), 0};
  fd_ = ::socket(bind_to.address.is_v6() ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  sockaddr_storage ss{};
  socklen_t len = sockaddr_of(bind_to, ss);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0)
    throw std::runtime_error("cannot bind UDP test socket");
  // The kernel stamps every datagram on arrival (SCM_TIMESTAMP), so gaps do not depend on when we read.
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof one);
  local_ = local_of(fd_);
}

RawUdp::~RawUdp() {
  if (fd_ >= 0) ::close(fd_);
}

void RawUdp::send_to(std::string_view data, const Endpoint& to) {
  sockaddr_storage ss{};
  socklen_t len = sockaddr_of(to, ss);
  ::sendto(fd_, data.data(), data.size(), 0, reinterpret_cast<sockaddr*>(&ss), len);
}

std::optional<Datagram> RawUdp::receive(std::chrono::milliseconds timeout) {
  if (!readable(fd_, timeout)) return std::nullopt;
  std::string buffer(65536, '\0');
  sockaddr_storage ss{};
  iovec iov{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timeval))];
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = sizeof ss;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = ::recvmsg(fd_, &msg, 0);
  if (n < 0) return std::nullopt;
  buffer.resize(static_cast<std::size_t>(n));
  Datagram d{std::move(buffer), endpoint_of(ss), 0};
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMP) {
      timeval tv{};
      std::memcpy(&tv, CMSG_DATA(c), sizeof tv);
      d.arrival_seconds = static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
    }
  }
  return d;
}

std::optional<Datagram> RawUdp::receive_matching(const std::function<bool(const Message&)>& match,
                                                 std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    auto d = receive(std::chrono::milliseconds(remaining_ms(deadline)));
    if (!d) return std::nullopt;
    auto parsed = parse_message(d->data);
    if (parsed && match(*parsed)) return d;
  }
  return std::nullopt;
}

std::vector<Datagram> RawUdp::drain(std::chrono::milliseconds window) {
  std::vector<Datagram> out;
  auto deadline = Clock::now() + window;
  while (Clock::now() < deadline) {
    auto d = receive(std::chrono::milliseconds(remaining_ms(deadline)));
    if (d) out.push_back(std::move(*d));
  }
  return out;
}

RawTcp RawTcp::connect(const Endpoint& to) {
  int fd = ::socket(to.address.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  sockaddr_storage ss{};
  socklen_t len = sockaddr_of(to, ss);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0)
    throw std::runtime_error("cannot connect TCP test socket");
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return RawTcp(fd);
}

RawTcp::~RawTcp() {
  if (fd_ >= 0) ::close(fd_);
}

Endpoint RawTcp::local() const {
  return local_of(fd_);
}

void RawTcp::send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

bool RawTcp::fill(std::chrono::milliseconds timeout) {
  if (eof_ || !readable(fd_, timeout)) return false;
  char chunk[8192];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

bool RawTcp::read_until(std::string_view needle, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (buffer_.find(needle) == std::string::npos) {
    if (Clock::now() >= deadline || !fill(std::chrono::milliseconds(remaining_ms(deadline)))) return false;
  }
  return true;
}

std::optional<Message> RawTcp::read_message(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    StreamFramer framer;
    framer.feed(buffer_);
    auto before = buffer_.size();
    auto event = framer.next();
    if (event.kind == StreamEventKind::message) {
      // Consume exactly the bytes of this message: what remains buffered in the framer stays ours.
      buffer_.erase(0, before - framer.buffered());
      return std::move(event.message);
    }
    if (event.kind == StreamEventKind::keepalive_ping || event.kind == StreamEventKind::keepalive_pong) {
      buffer_.erase(0, before - framer.buffered());
      continue;
    }
    if (event.kind == StreamEventKind::error) return std::nullopt;
    if (Clock::now() >= deadline || !fill(std::chrono::milliseconds(remaining_ms(deadline))))
      return std::nullopt;
  }
}

bool RawTcp::closed_by_peer(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!eof_ && Clock::now() < deadline) fill(std::chrono::milliseconds(remaining_ms(deadline)));
  return eof_;
}

RawTcpServer::RawTcpServer() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len = sockaddr_of(loopback(0), ss);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, 8) != 0)
    throw std::runtime_error("cannot listen on TCP test socket");
  local_ = local_of(fd_);
}

RawTcpServer::~RawTcpServer() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<RawTcp> RawTcpServer::accept(std::chrono::milliseconds timeout) {
  if (!readable(fd_, timeout)) return std::nullopt;
  int fd = ::accept(fd_, nullptr, nullptr);
  if (fd < 0) return std::nullopt;
  return RawTcp(fd);
}

// ---- messages

std::string RequestText::to_string() const {
  std::string out = method + " " + request_uri + " SIP/2.0\r\n";
  out += "Via: SIP/2.0/" + transport + " " + sent_by + ";branch=" + branch + (rport ? ";rport" : "") + "\r\n";
  out += "Max-Forwards: 70\r\n";
  out += "From: <sip:caller@127.0.0.1>;tag=" + from_tag + "\r\n";
  out += "To: <sip:service@127.0.0.1>" + (to_tag.empty() ? std::string() : ";tag=" + to_tag) + "\r\n";
  out += "Call-ID: " + call_id + "\r\n";
  out += "CSeq: " + std::to_string(cseq) + " " + (cseq_method.empty() ? method : cseq_method) + "\r\n";
  for (const auto& h : extra_headers) out += h + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

std::string response_text(const Message& request, int status, std::string_view to_tag,
                          std::vector<std::string> extra_headers) {
  std::string out = "SIP/2.0 " + std::to_string(status) + " Test\r\n";
  for (const auto& h : request.headers()) {
    if (h.id == HeaderId::via || h.id == HeaderId::from || h.id == HeaderId::call_id ||
        h.id == HeaderId::cseq)
      out += h.name + ": " + h.value + "\r\n";
    if (h.id == HeaderId::to)
      out +=
          h.name + ": " + h.value + (to_tag.empty() ? std::string() : ";tag=" + std::string(to_tag)) + "\r\n";
  }
  for (const auto& h : extra_headers) out += h + "\r\n";
  out += "Content-Length: 0\r\n\r\n";
  return out;
}

Message make_request(std::string_view method, std::string_view request_uri, std::string_view call_id,
                     std::uint32_t cseq) {
  auto uri = parse_uri(request_uri);
  EXPECT_TRUE(uri.ok()) << request_uri;
  Message m = Message::request(std::string(method), uri ? *uri : Uri{});
  m.add_header("From", "<sip:agent@127.0.0.1>;tag=fromtag1");
  m.add_header("To", "<" + std::string(request_uri) + ">");
  m.add_header("Call-ID", std::string(call_id));
  m.add_header("CSeq", std::to_string(cseq) + " " + std::string(method));
  m.add_header("Contact", "<sip:agent@127.0.0.1>");
  return m;
}

double dropped_count(metrics::Registry& registry, std::string_view transport, std::string_view reason) {
  return registry.counter("sip_messages_dropped_total", "", {"transport", "reason"})
      .with({std::string(transport), std::string(reason)})
      .value();
}

}  // namespace va::sip::test
