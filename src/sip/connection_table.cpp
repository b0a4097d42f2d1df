#include "sip/connection_table.hpp"

#include <vector>

namespace va::sip {

void ConnectionTable::add(const std::shared_ptr<StreamConnection>& connection) {
  by_id_[connection->id()] = connection;
  by_remote_[RemoteKey{connection->transport(), connection->remote()}] = connection->id();
}

void ConnectionTable::remove(const StreamConnection& connection) {
  by_id_.erase(connection.id());
  auto it = by_remote_.find(RemoteKey{connection.transport(), connection.remote()});
  if (it != by_remote_.end() && it->second == connection.id()) by_remote_.erase(it);
}

std::shared_ptr<StreamConnection> ConnectionTable::by_id(std::uint64_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || it->second->state() == StreamConnection::State::closed) return nullptr;
  return it->second;
}

std::shared_ptr<StreamConnection> ConnectionTable::by_remote(TransportKind transport,
                                                             const Endpoint& remote) const {
  auto it = by_remote_.find(RemoteKey{transport, remote});
  if (it == by_remote_.end()) return nullptr;
  return by_id(it->second);
}

std::size_t ConnectionTable::count(TransportKind transport) const {
  std::size_t n = 0;
  for (const auto& [id, c] : by_id_)
    if (c->transport() == transport) ++n;
  return n;
}

void ConnectionTable::sweep(Clock::time_point now, const ConnectionPolicy& policy) {
  std::vector<std::shared_ptr<StreamConnection>> to_close;
  for (const auto& [id, c] : by_id_) {
    switch (c->state()) {
      case StreamConnection::State::connecting:
      case StreamConnection::State::handshaking:
        if (now - c->created_at() >= policy.connect_timeout) to_close.push_back(c);
        break;
      case StreamConnection::State::open:
        if (now - c->last_activity() >= policy.idle_timeout) {
          to_close.push_back(c);
        } else if (auto ping = c->ping_outstanding(); ping && now - *ping >= policy.keepalive_timeout) {
          to_close.push_back(c);
        } else if (c->role() == StreamConnection::Role::outbound && policy.keepalive_interval.count() > 0 &&
                   !c->ping_outstanding() && now - c->last_sent() >= policy.keepalive_interval) {
          c->send_ping();
        }
        break;
      case StreamConnection::State::closed:
        break;
    }
  }
  for (auto& c : to_close) c->close(std::make_error_code(std::errc::timed_out));
}

void ConnectionTable::close_all() {
  std::vector<std::shared_ptr<StreamConnection>> all;
  all.reserve(by_id_.size());
  for (const auto& [id, c] : by_id_) all.push_back(c);
  for (auto& c : all) c->close(std::make_error_code(std::errc::operation_canceled));
  by_id_.clear();
  by_remote_.clear();
}

}  // namespace va::sip
