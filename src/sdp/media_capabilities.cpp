#include "sdp/media_capabilities.hpp"

namespace va::sdp {

MediaCapabilities media_capabilities(const config::Codecs& codecs, config::SrtpMode srtp) {
  MediaCapabilities caps;
  caps.codecs.clear();
  for (auto codec : codecs.preference) {
    if (codec == config::Codec::g729 && !codecs.g729) continue;
    caps.codecs.push_back(codec);
  }
  caps.telephone_event = codecs.telephone_event;
  if (codecs.ptime.count() > 0) caps.ptime = codecs.ptime;
  caps.srtp = srtp;
  return caps;
}

}  // namespace va::sdp
