# The admin API and the call events: the query string of any request to /v1/calls, its time filters, and
# the signature header a receiver of our events parses (src/calls/event_signature.hpp).
va_fuzz_target(admin_query_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/admin_query_fuzz.cpp LIBS va_calls va_http)
