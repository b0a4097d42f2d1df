# Call recordings of va_media: the per-call recorder (the media thread's side), the writer thread, WAV files
# written as audio arrives, and the retention sweeper. Included by CMakeLists.txt.
list(APPEND VA_MEDIA_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/wav_file_writer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/call_recorder.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/recording_writer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/recording_retention.cpp
)
