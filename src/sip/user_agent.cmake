# Dialogs, the user agent (UAS) and the SIP call leg of va_sip (RFC 3261 §12-§15, RFC 3264, RFC 4733).
# Included at the end of src/sip/CMakeLists.txt.
target_sources(va_sip PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dialog.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inbound_route.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rtp_port_allocator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/media_threads.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rtp_leg.cpp
  ${CMAKE_CURRENT_LIST_DIR}/diagnostic_flows.cpp
  ${CMAKE_CURRENT_LIST_DIR}/inbound_call.cpp
  ${CMAKE_CURRENT_LIST_DIR}/user_agent.cpp
  ${CMAKE_CURRENT_LIST_DIR}/user_agent_config.cpp
)
target_link_libraries(va_sip PUBLIC va_sdp va_media)
