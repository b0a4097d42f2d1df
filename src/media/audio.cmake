# Audio half of va_media: the pipeline frame, codecs (G.711, G.722, optional G.729), resampling, codec bridge,
# jitter buffer, packet-loss concealment, in-band DTMF and the media clock. Included by CMakeLists.txt.

# bcg729 is GPL-3: a voice-agent built with it may only be distributed under the GPL-3. Off by default; the
# default build neither needs nor links it (scripts/versions.sh: VA_APT_G729).
option(VA_WITH_G729 "Build the G.729 codec with bcg729 (GPL-3)" OFF)

find_package(PkgConfig REQUIRED)
pkg_check_modules(SPANDSP REQUIRED IMPORTED_TARGET spandsp)
pkg_check_modules(SPEEXDSP REQUIRED IMPORTED_TARGET speexdsp)

list(APPEND VA_MEDIA_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/audio_frame.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/audio_codec.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/g711_codec.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/g722_codec.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/resampler.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/codec_bridge.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/jitter_buffer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/packet_loss_concealment.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/dtmf_inband.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/media_clock.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/media_threads.cpp
)
list(APPEND VA_MEDIA_LIBS PkgConfig::SPANDSP PkgConfig::SPEEXDSP Boost::headers)

if(VA_WITH_G729)
  pkg_check_modules(BCG729 REQUIRED IMPORTED_TARGET libbcg729)
  list(APPEND VA_MEDIA_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/g729_codec.cpp)
  list(APPEND VA_MEDIA_LIBS PkgConfig::BCG729)
  # Only the codec list (builtin_codecs()) needs to know; nothing else in the tree depends on G.729.
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/audio_codec.cpp PROPERTIES COMPILE_DEFINITIONS VA_WITH_G729)
endif()
