# Trunks of va_sip: the REGISTER client, OPTIONS probing, inbound admission by source address and digest,
# and the monitor that reports them to health and metrics. Included at the end of src/sip/CMakeLists.txt.
target_sources(va_sip PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/trunk_address_range.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trunk_digest_nonce.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trunk_retry_schedule.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trunk_uri.cpp
  ${CMAKE_CURRENT_LIST_DIR}/registration_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trunk_prober.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trunk_admission.cpp
  ${CMAKE_CURRENT_LIST_DIR}/trunk_monitor.cpp
)
