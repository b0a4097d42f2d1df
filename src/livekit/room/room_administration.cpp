#include "livekit/room/room_administration.hpp"

#include <boost/asio/post.hpp>

namespace va::livekit::room {

namespace {

template <class T>
std::optional<ApiError> error_of(const ApiResult<T>& result) {
  if (result.ok()) return std::nullopt;
  return result.error();
}

}  // namespace

void TwirpRoomAdministration::remove_participant(const std::string& room, const std::string& identity,
                                                 Done done) {
  boost::asio::post(blocking_, [this, room, identity, done = std::move(done)] {
    done(error_of(rooms_.remove_participant(room, identity)));
  });
}

void TwirpRoomAdministration::delete_room(const std::string& room, Done done) {
  boost::asio::post(blocking_,
                    [this, room, done = std::move(done)] { done(error_of(rooms_.delete_room(room))); });
}

void TwirpRoomAdministration::transfer_participant(const std::string& room, const std::string& identity,
                                                   const std::string& transfer_to, Done done) {
  boost::asio::post(blocking_, [this, room, identity, transfer_to, done = std::move(done)] {
    TransferSipParticipantRequest request;
    request.room_name = room;
    request.participant_identity = identity;
    request.transfer_to = transfer_to;
    done(error_of(sip_.transfer_participant(request)));
  });
}

}  // namespace va::livekit::room
