# What inbound and outbound calls share once a dialog exists (hold re-INVITE, REFER transfer, RFC 4028
# session timers) and the UAC side: outbound calls with digest authentication and redirects. Included by
# src/sip/CMakeLists.txt after user_agent.cmake.
target_sources(va_sip PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/session_timer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/uac_authentication.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sip_call.cpp
  ${CMAKE_CURRENT_LIST_DIR}/call_transfer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/request_bodies.cpp
  ${CMAKE_CURRENT_LIST_DIR}/outbound_call.cpp
)
