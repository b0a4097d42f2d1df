// What a room leg needs from LiveKit's server API rather than from its own connection: removing the caller's
// SIP participant (that is how the bridge hangs up the phone call: it sends BYE when its participant is
// removed), deleting the room, and transferring the caller (TransferSIPParticipant: the bridge sends REFER).
// liblivekit_ffi has no such requests; a participant cannot remove another one.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <optional>
#include <string>

#include "livekit/room_service.hpp"
#include "livekit/sip_service.hpp"
#include "livekit/twirp_client.hpp"

namespace va::livekit::room {

class RoomAdministration {
 public:
  // Called once per request, on any thread, with the error when the request failed.
  using Done = std::function<void(std::optional<ApiError>)>;

  virtual ~RoomAdministration() = default;
  virtual void remove_participant(const std::string& room, const std::string& identity, Done done) = 0;
  virtual void delete_room(const std::string& room, Done done) = 0;
  virtual void transfer_participant(const std::string& room, const std::string& identity,
                                    const std::string& transfer_to, Done done) = 0;
};

// Over the Twirp clients. Their calls block on HTTP (TransferSIPParticipant until the transfer has an
// outcome), so each runs on `blocking` (a thread pool), never on a call's media thread; `done` runs there.
// The services must outlive every call in flight.
class TwirpRoomAdministration : public RoomAdministration {
 public:
  TwirpRoomAdministration(RoomService& rooms, SipService& sip, boost::asio::any_io_executor blocking)
      : rooms_(rooms), sip_(sip), blocking_(std::move(blocking)) {}

  void remove_participant(const std::string& room, const std::string& identity, Done done) override;
  void delete_room(const std::string& room, Done done) override;
  void transfer_participant(const std::string& room, const std::string& identity,
                            const std::string& transfer_to, Done done) override;

 private:
  RoomService& rooms_;
  SipService& sip_;
  boost::asio::any_io_executor blocking_;
};

}  // namespace va::livekit::room
