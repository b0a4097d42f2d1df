# LiveKit webhooks: the event parser and the signature verifier read what any HTTP client posts.
va_fuzz_target(webhook_event_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/webhook_event_fuzz.cpp LIBS va_livekit)
