# RTP/RTCP, statistics, the RTP session, RFC 4733 and SRTP. Some tests read SIPp's shipped captures from
# /usr/share/sip-tester (installed by scripts/setup).
va_test(media_packets_test unit
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/rtp_packet_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/rtcp_packet_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/rtp_statistics_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/rtp_session_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/dtmf_rfc4733_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/srtp_session_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/sipp_captures.cpp
  LIBS va_media PkgConfig::SRTP2)
# Replaces the global operator new to count allocations, so it is a binary of its own.
va_test(media_hot_path_test unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/hot_path_allocation_test.cpp ${VA_ALLOCATION_WINDOW}
  LIBS va_media)
