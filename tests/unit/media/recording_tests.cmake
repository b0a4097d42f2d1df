# Call recordings of va_media: the recorder's timeline and queue, the writer's WAVs, retention.
va_test(media_recording_test unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/call_recorder_test.cpp ${CMAKE_CURRENT_SOURCE_DIR}/recording_retention_test.cpp
  LIBS va_media)
