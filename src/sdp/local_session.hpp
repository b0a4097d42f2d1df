// Our side of one SDP session across a dialog: the o= line we write and the last description we sent.
//
// RFC 3264 §8: every description we send in a dialog carries the same session id; the version goes up by
// one when the description differs from the previous one, and stays the same when we send the same thing
// again (a session-timer refresh, a re-INVITE answered with unchanged media).
#pragma once

#include <cstdint>
#include <optional>

#include "sdp/session_description.hpp"

namespace va::sdp {

class LocalSession {
 public:
  // `session_id` identifies the session for its lifetime (RFC 4566 §5.2 suggests an NTP timestamp; any
  // number unique enough will do, e.g. new_session_id()). The first description carries `initial_version`.
  explicit LocalSession(std::uint64_t session_id, std::uint64_t initial_version = 0);

  // Writes our o= line into `description` (the username "-", our id, the version as described above, the
  // address of its c=) and remembers it as the last description sent.
  void stamp(SessionDescription& description);

  std::uint64_t session_id() const { return session_id_; }
  // The version of the last stamped description.
  std::uint64_t version() const { return version_; }
  // The last description stamped (what the peer currently has from us); nullopt before the first.
  const std::optional<SessionDescription>& last() const { return last_; }

 private:
  std::uint64_t session_id_;
  std::uint64_t version_;
  std::optional<SessionDescription> last_;
};

// A fresh session id: the current NTP-era seconds in the high bits and random low bits, so two calls placed
// in the same second differ.
std::uint64_t new_session_id();

}  // namespace va::sdp
