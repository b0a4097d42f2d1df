# LiveKit's protocols, compiled at build time from the descriptor sets scripts/setup writes out of the pinned
# PyPI wheels (install_livekit_ffi; tools/extract_proto_descriptors.py). Nothing of them is in the repository.
#   va_livekit_ffi_proto    liblivekit_ffi's own protocol (package livekit.proto: FfiRequest, FfiEvent, ...)
#   va_livekit_agent_proto  the agent worker protocol (package livekit: WorkerMessage, ServerMessage, ...)
# VA_LIVEKIT_FFI_DIR is also where the run-time library lives (lib/liblivekit_ffi.so): voice-agent loads it
# with dlopen and builds without it; the descriptor sets, however, are build inputs.

find_package(Protobuf 3.21 REQUIRED)

file(STRINGS "${PROJECT_SOURCE_DIR}/scripts/versions.sh" _va_livekit_pin REGEX "^VA_LIVEKIT_PY_VERSION=")
string(REGEX REPLACE "^VA_LIVEKIT_PY_VERSION=" "" VA_LIVEKIT_PY_VERSION "${_va_livekit_pin}")
include(${CMAKE_CURRENT_LIST_DIR}/tools_dir.cmake)
set(_va_tools_dir "${VA_TOOLS_DIR_DEFAULT}")
set(VA_LIVEKIT_FFI_DIR "${_va_tools_dir}/livekit-ffi-${VA_LIVEKIT_PY_VERSION}"
  CACHE PATH "liblivekit_ffi and the LiveKit protocol descriptor sets (scripts/setup puts them there)")
foreach(_set ffi agent)
  if(NOT EXISTS "${VA_LIVEKIT_FFI_DIR}/proto/${_set}.pb")
    message(FATAL_ERROR "LiveKit protocol descriptors missing: ${VA_LIVEKIT_FFI_DIR}/proto/${_set}.pb "
      "(run scripts/setup, or set VA_LIVEKIT_FFI_DIR)")
  endif()
endforeach()
message(STATUS "LiveKit: protocol descriptors of livekit ${VA_LIVEKIT_PY_VERSION} in ${VA_LIVEKIT_FFI_DIR}")

# _va_protobuf_library(<target> <descriptor set> <proto file>...): protoc --cpp_out for the given files (each
# file's imports must be among them), compiled into a static library whose headers are SYSTEM includes.
function(_va_protobuf_library target descriptor_set)
  set(out "${CMAKE_BINARY_DIR}/generated/${target}")
  set(sources "")
  set(headers "")
  foreach(proto ${ARGN})
    string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
    list(APPEND sources "${out}/${stem}.pb.cc")
    list(APPEND headers "${out}/${stem}.pb.h")
  endforeach()
  add_custom_command(OUTPUT ${sources} ${headers}
    COMMAND ${CMAKE_COMMAND} -E make_directory "${out}"
    COMMAND protobuf::protoc "--descriptor_set_in=${descriptor_set}" "--cpp_out=${out}" ${ARGN}
    DEPENDS "${descriptor_set}" protobuf::protoc
    COMMENT "protoc: ${target} from ${descriptor_set}"
    VERBATIM)
  add_library(${target} STATIC ${sources})
  target_include_directories(${target} SYSTEM PUBLIC "${out}")
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${target} PRIVATE -w)  # generated code: not ours to warn about
endfunction()

_va_protobuf_library(va_livekit_ffi_proto "${VA_LIVEKIT_FFI_DIR}/proto/ffi.pb"
  handle.proto e2ee.proto stats.proto track.proto audio_frame.proto data_stream.proto data_track.proto
  participant.proto video_frame.proto room.proto capture.proto rpc.proto track_publication.proto ffi.proto)
_va_protobuf_library(va_livekit_agent_proto "${VA_LIVEKIT_FFI_DIR}/proto/agent.pb"
  logger/options.proto livekit_metrics.proto livekit_models.proto livekit_agent.proto)
