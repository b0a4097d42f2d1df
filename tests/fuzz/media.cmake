# Untrusted media input: every datagram on an RTP/RTCP port, and the telephone-events inside RTP.
va_fuzz_target(rtp_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/rtp_fuzz.cpp LIBS va_media)
va_fuzz_target(rtcp_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/rtcp_fuzz.cpp LIBS va_media)
va_fuzz_target(rfc4733_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/rfc4733_fuzz.cpp LIBS va_media)
