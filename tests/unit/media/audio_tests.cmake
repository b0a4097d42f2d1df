# Audio processing of va_media: codecs, resampling, codec bridge, jitter buffer, PLC, in-band DTMF, media
# clock. spandsp is linked directly as the test oracle (G.711 tables, G.722 encoder, DTMF generator, PLC).
find_package(PkgConfig REQUIRED)
pkg_check_modules(SPANDSP REQUIRED IMPORTED_TARGET spandsp)
set(VA_MEDIA_AUDIO_TEST_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/audio_frame_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/audio_codec_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/g711_codec_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/g722_codec_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/resampler_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_bridge_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/jitter_buffer_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/packet_loss_concealment_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/dtmf_inband_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/media_clock_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/audio_allocation_test.cpp ${VA_ALLOCATION_WINDOW})
if(VA_WITH_G729)
  list(APPEND VA_MEDIA_AUDIO_TEST_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/g729_codec_test.cpp)
endif()
va_test(media_audio_test unit
  SOURCES ${VA_MEDIA_AUDIO_TEST_SOURCES}
  LIBS va_media PkgConfig::SPANDSP Boost::headers)
if(VA_WITH_G729)
  target_compile_definitions(media_audio_test PRIVATE VA_TEST_WITH_G729)
endif()
