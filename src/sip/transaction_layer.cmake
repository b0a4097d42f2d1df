# Transport (RFC 3261 §18, RFC 3581, RFC 5626 keep-alive) and transactions (§17, RFC 6026) of va_sip.
# Included at the end of src/sip/CMakeLists.txt; kept apart so the message layer's list stays its own.
target_sources(va_sip PRIVATE
  # Transport layer
  ${CMAKE_CURRENT_LIST_DIR}/flow.cpp
  ${CMAKE_CURRENT_LIST_DIR}/via_routing.cpp
  ${CMAKE_CURRENT_LIST_DIR}/udp_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tcp_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/tls_transport.cpp
  ${CMAKE_CURRENT_LIST_DIR}/stream_connection.cpp
  ${CMAKE_CURRENT_LIST_DIR}/connection_table.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transport.cpp
  # Transaction layer
  ${CMAKE_CURRENT_LIST_DIR}/sip_timers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transaction_key.cpp
  ${CMAKE_CURRENT_LIST_DIR}/outbound_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client_transaction.cpp
  ${CMAKE_CURRENT_LIST_DIR}/server_transaction.cpp
  ${CMAKE_CURRENT_LIST_DIR}/transaction_layer.cpp
)
target_link_libraries(va_sip PUBLIC Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
