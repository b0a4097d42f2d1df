# The SDP parser reads bodies of INVITEs, re-INVITEs, 200 OKs and ACKs from any peer; offer/answer runs on
# what it produces.
va_fuzz_target(sdp_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/sdp_fuzz.cpp LIBS va_sdp)
