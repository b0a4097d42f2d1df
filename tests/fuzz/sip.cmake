# The SIP message layer parses every datagram and TCP/TLS byte that reaches our SIP port.
va_fuzz_target(sip_message_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/sip_message_fuzz.cpp LIBS va_sip_ua)
