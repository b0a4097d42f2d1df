# Wire formats and per-call packet state of va_media: RTP/RTCP, statistics, the RTP session, RFC 4733, SRTP.
find_package(PkgConfig REQUIRED)
# GLOBAL: the SRTP interop test links libsrtp2 directly.
pkg_check_modules(SRTP2 REQUIRED IMPORTED_TARGET GLOBAL libsrtp2)
list(APPEND VA_MEDIA_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/rtp_packet.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rtcp_packet.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rtp_statistics.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/rtp_session.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/dtmf_rfc4733.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/srtp_session.cpp)
# rtp_session.hpp exposes boost::asio::ip::udp::endpoint (header-only).
list(APPEND VA_MEDIA_LIBS PkgConfig::SRTP2 OpenSSL::Crypto Boost::headers)
