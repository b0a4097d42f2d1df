# Speech engines installed by scripts/setup (install_speech_engines), as imported targets:
#   va::whisper     whisper.cpp (static, with ggml), built into VA_WHISPER_DIR from the npm-carried source
#   va::rhvoice     RHVoice (Debian non-free; absent when non-free could not be enabled)
#   va::flite       flite with the cmu_us_slt voice (register_cmu_us_slt) and its English lexicon
#   va::espeak_ng   eSpeak NG (GPL-3: see docs/engines.md before linking it into the product)
#   va::webrtc_vad  libwebrtc-audio-processing 0.3; it exports WebRtcVad_* but ships no header for them
#   va::pocketsphinx  PocketSphinx 5prealpha (Debian), US English model in VA_POCKETSPHINX_MODEL_DIR
# Each engine sets VA_<NAME>_FOUND (VA_WHISPER_FOUND, VA_RHVOICE_FOUND, VA_FLITE_FOUND, VA_ESPEAK_NG_FOUND,
# VA_WEBRTC_VAD_FOUND) and prints one status line; nothing here is fatal, the including project decides.
# The whisper model file is not a build input: VA_WHISPER_MODEL names where setup put it.

find_package(Threads REQUIRED)
find_package(PkgConfig QUIET)

# The pins live in scripts/versions.sh only; read the whisper.cpp version from there.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../scripts/versions.sh" _va_whisper_pin REGEX "^VA_WHISPER_CPP_VERSION=")
string(REGEX REPLACE "^VA_WHISPER_CPP_VERSION=" "" VA_WHISPER_CPP_VERSION "${_va_whisper_pin}")

include(${CMAKE_CURRENT_LIST_DIR}/tools_dir.cmake)
set(_va_tools_dir "${VA_TOOLS_DIR_DEFAULT}")
set(VA_WHISPER_DIR "${_va_tools_dir}/whisper.cpp-${VA_WHISPER_CPP_VERSION}"
  CACHE PATH "whisper.cpp install prefix (scripts/setup builds it there)")
set(VA_WHISPER_MODEL "${_va_tools_dir}/models/ggml-whisper-base.bin"
  CACHE FILEPATH "Whisper ggml model file (scripts/setup converts it there)")

# --- whisper.cpp -----------------------------------------------------------------------------------------
# Static libraries: whisper -> ggml (backend registry) -> ggml-cpu -> ggml-base. Link order matters.
set(VA_WHISPER_FOUND FALSE)
find_path(VA_WHISPER_INCLUDE_DIR whisper.h PATHS "${VA_WHISPER_DIR}/include" NO_DEFAULT_PATH)
foreach(_lib whisper ggml ggml-cpu ggml-base)
  string(MAKE_C_IDENTIFIER "${_lib}" _id)
  find_library(VA_WHISPER_LIB_${_id} NAMES ${_lib} PATHS "${VA_WHISPER_DIR}/lib" NO_DEFAULT_PATH)
endforeach()
if(VA_WHISPER_INCLUDE_DIR AND VA_WHISPER_LIB_whisper AND VA_WHISPER_LIB_ggml AND VA_WHISPER_LIB_ggml_cpu
   AND VA_WHISPER_LIB_ggml_base)
  add_library(va::ggml_base STATIC IMPORTED GLOBAL)
  set_target_properties(va::ggml_base PROPERTIES IMPORTED_LOCATION "${VA_WHISPER_LIB_ggml_base}"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;m")
  add_library(va::ggml_cpu STATIC IMPORTED GLOBAL)
  set_target_properties(va::ggml_cpu PROPERTIES IMPORTED_LOCATION "${VA_WHISPER_LIB_ggml_cpu}"
    INTERFACE_LINK_LIBRARIES "va::ggml_base")
  add_library(va::ggml STATIC IMPORTED GLOBAL)
  set_target_properties(va::ggml PROPERTIES IMPORTED_LOCATION "${VA_WHISPER_LIB_ggml}"
    INTERFACE_LINK_LIBRARIES "va::ggml_cpu;va::ggml_base;${CMAKE_DL_LIBS}")
  add_library(va::whisper STATIC IMPORTED GLOBAL)
  # Imported targets' include directories are SYSTEM ones: ggml's headers do not trip our -Werror.
  set_target_properties(va::whisper PROPERTIES IMPORTED_LOCATION "${VA_WHISPER_LIB_whisper}"
    INTERFACE_INCLUDE_DIRECTORIES "${VA_WHISPER_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "va::ggml"
    IMPORTED_LINK_INTERFACE_LANGUAGES CXX)
  set(VA_WHISPER_FOUND TRUE)
  message(STATUS "Speech: whisper.cpp ${VA_WHISPER_CPP_VERSION} found in ${VA_WHISPER_DIR} (va::whisper)")
  if(NOT EXISTS "${VA_WHISPER_MODEL}")
    message(STATUS "Speech: Whisper model missing at ${VA_WHISPER_MODEL} (run scripts/setup)")
  endif()
else()
  message(STATUS "Speech: whisper.cpp NOT found in ${VA_WHISPER_DIR} (run scripts/setup, or set VA_WHISPER_DIR)")
endif()

# --- Debian packages --------------------------------------------------------------------------------------
# _va_speech_library(<target> <prefix> <label> HEADER <h> LIBS <lib>... [PKG <module>]) sets <prefix>_FOUND.
# Uses pkg-config where the Debian package ships a .pc file, else find_path/find_library.
function(_va_speech_library target prefix label)
  cmake_parse_arguments(ARG "" "HEADER;PKG" "LIBS" ${ARGN})
  set(${prefix}_FOUND FALSE PARENT_SCOPE)
  if(ARG_PKG AND PKG_CONFIG_FOUND)
    pkg_check_modules(${prefix}_PC QUIET IMPORTED_TARGET GLOBAL ${ARG_PKG})
    if(${prefix}_PC_FOUND)
      add_library(${target} INTERFACE IMPORTED GLOBAL)
      target_link_libraries(${target} INTERFACE PkgConfig::${prefix}_PC)
      set(${prefix}_FOUND TRUE PARENT_SCOPE)
      message(STATUS "Speech: ${label} ${${prefix}_PC_VERSION} found (${target}, pkg-config ${ARG_PKG})")
      return()
    endif()
  endif()
  find_path(${prefix}_INCLUDE_DIR ${ARG_HEADER})
  set(libs "")
  foreach(lib IN LISTS ARG_LIBS)
    find_library(${prefix}_LIB_${lib} ${lib})
    if(NOT ${prefix}_LIB_${lib})
      message(STATUS "Speech: ${label} NOT found (library ${lib} missing)")
      return()
    endif()
    list(APPEND libs "${${prefix}_LIB_${lib}}")
  endforeach()
  if(NOT ${prefix}_INCLUDE_DIR)
    message(STATUS "Speech: ${label} NOT found (header ${ARG_HEADER} missing)")
    return()
  endif()
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${${prefix}_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${libs}")
  set(${prefix}_FOUND TRUE PARENT_SCOPE)
  message(STATUS "Speech: ${label} found (${target}: ${libs})")
endfunction()

# RHVoice ships no .pc file in Debian 12; libRHVoice is its C API (RHVoice.h).
_va_speech_library(va::rhvoice VA_RHVOICE "RHVoice" HEADER RHVoice.h LIBS RHVoice)
if(NOT VA_RHVOICE_FOUND)
  message(STATUS "Speech: without RHVoice (Debian non-free), text to speech falls back to eSpeak NG")
endif()
# flite's Debian package has no .pc file either; the slt voice needs the US English language and lexicon.
_va_speech_library(va::flite VA_FLITE "flite" HEADER flite/flite.h
  LIBS flite_cmu_us_slt flite_usenglish flite_cmulex flite)
_va_speech_library(va::espeak_ng VA_ESPEAK_NG "eSpeak NG" HEADER espeak-ng/speak_lib.h
  LIBS espeak-ng PKG espeak-ng)
# The VAD functions live in libwebrtc_audio_processing with C linkage; callers declare their prototypes.
_va_speech_library(va::webrtc_vad VA_WEBRTC_VAD "WebRTC VAD" HEADER webrtc/modules/audio_processing/include/audio_processing.h
  LIBS webrtc_audio_processing PKG webrtc-audio-processing)

# --- Silero VAD v5 on ONNX Runtime --------------------------------------------------------------------------
# va::silero carries only ONNX Runtime's C API header: the engine dlopen()s VA_ONNXRUNTIME_LIBRARY at run time
# (the npm-carried libonnxruntime.so.1 has no development symlink, and a missing or broken library must make
# the engine report "unavailable", not stop every binary linking va_engines from starting). Neither the library
# nor the model (VA_SILERO_MODEL) is a build input. Sets VA_SILERO_FOUND.
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../scripts/versions.sh" _va_ort_pin REGEX "^VA_ONNXRUNTIME_VERSION=")
string(REGEX REPLACE "^VA_ONNXRUNTIME_VERSION=" "" VA_ONNXRUNTIME_VERSION "${_va_ort_pin}")
set(VA_ONNXRUNTIME_DIR "${_va_tools_dir}/onnxruntime-${VA_ONNXRUNTIME_VERSION}"
  CACHE PATH "ONNX Runtime prefix (scripts/setup puts lib/libonnxruntime.so.1 and include/ there)")
set(VA_ONNXRUNTIME_LIBRARY "${VA_ONNXRUNTIME_DIR}/lib/libonnxruntime.so.1"
  CACHE FILEPATH "ONNX Runtime shared library the Silero VAD loads at run time")
set(VA_SILERO_MODEL "${_va_tools_dir}/models/silero_vad_v5.onnx"
  CACHE FILEPATH "Silero VAD v5 ONNX model file (scripts/setup puts it there)")
set(VA_SILERO_FOUND FALSE)
find_path(VA_ONNXRUNTIME_INCLUDE_DIR onnxruntime_c_api.h PATHS "${VA_ONNXRUNTIME_DIR}/include" NO_DEFAULT_PATH)
if(VA_ONNXRUNTIME_INCLUDE_DIR)
  add_library(va::silero INTERFACE IMPORTED GLOBAL)
  set_target_properties(va::silero PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${VA_ONNXRUNTIME_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}")
  set(VA_SILERO_FOUND TRUE)
  message(STATUS "Speech: ONNX Runtime C API header found in ${VA_ONNXRUNTIME_INCLUDE_DIR} (va::silero)")
  if(NOT EXISTS "${VA_ONNXRUNTIME_LIBRARY}" OR NOT EXISTS "${VA_SILERO_MODEL}")
    message(STATUS "Speech: Silero VAD's library or model missing (${VA_ONNXRUNTIME_LIBRARY}, ${VA_SILERO_MODEL}): run scripts/setup")
  endif()
else()
  message(STATUS "Speech: ONNX Runtime NOT found in ${VA_ONNXRUNTIME_DIR}: Silero VAD built out (run scripts/setup)")
endif()
# PocketSphinx: English-only streaming STT for wideband legs. Debian's .pc file lists an include directory
# that does not exist (/usr/include/sphinxbase), which CMake refuses on an imported target: keep the ones
# that exist. The .pc file also names the model directory.
set(VA_POCKETSPHINX_FOUND FALSE)
set(_va_ps_models "/usr/share/pocketsphinx/model")
if(PKG_CONFIG_FOUND)
  pkg_check_modules(VA_POCKETSPHINX_PC QUIET pocketsphinx)
endif()
if(VA_POCKETSPHINX_PC_FOUND)
  set(_va_ps_includes "")
  foreach(_dir IN LISTS VA_POCKETSPHINX_PC_INCLUDE_DIRS)
    if(IS_DIRECTORY "${_dir}")
      list(APPEND _va_ps_includes "${_dir}")
    endif()
  endforeach()
  add_library(va::pocketsphinx INTERFACE IMPORTED GLOBAL)
  set_target_properties(va::pocketsphinx PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_va_ps_includes}"
    INTERFACE_LINK_DIRECTORIES "${VA_POCKETSPHINX_PC_LIBRARY_DIRS}"
    INTERFACE_LINK_LIBRARIES "pocketsphinx;sphinxbase")
  pkg_get_variable(_va_ps_pc_models pocketsphinx modeldir)
  if(_va_ps_pc_models)
    set(_va_ps_models "${_va_ps_pc_models}")
  endif()
  set(VA_POCKETSPHINX_FOUND TRUE)
  message(STATUS "Speech: PocketSphinx ${VA_POCKETSPHINX_PC_VERSION} found (va::pocketsphinx, pkg-config pocketsphinx)")
else()
  message(STATUS "Speech: PocketSphinx NOT found (English streaming STT; scripts/setup installs libpocketsphinx-dev)")
endif()
set(VA_POCKETSPHINX_MODEL_DIR "${_va_ps_models}" CACHE PATH "PocketSphinx model directory (holds en-us/)")

# --- llama.cpp (the in-process LLM) -------------------------------------------------------------------------
# va::llama: llama.cpp's prebuilt shared libraries (npm @node-llama-cpp/linux-x64) and headers (the matching
# release's git bundle in npm node-llama-cpp), installed by scripts/setup into VA_LLAMA_DIR. Sets
# VA_LLAMA_FOUND. The model (VA_LLM_MODEL) is not a build input.
# - The libraries are linked by full path; CMake's build RPATH and the install RPATH set below name their
#   directory (src/CMakeLists.txt gives voice-agent that install RPATH), so binaries find them at run time
#   (their own RUNPATH $ORIGIN finds each other).
# - The CPU backend is one of the libggml-cpu-<arch>.so variants ggml loads at run time from the same
#   directory (ggml_backend_load_all_from_path, engines/llm/llama_model.cpp).
# - whisper.cpp links its own ggml statically into the same binaries. Its symbols must not be exported from
#   the executable, or libllama's calls into ggml would bind to that other ggml (ELF interposition): linked
#   with va::llama, those archives' symbols are hidden (--exclude-libs).
file(STRINGS "${CMAKE_CURRENT_LIST_DIR}/../scripts/versions.sh" _va_llama_pin REGEX "^VA_LLAMA_CPP_RELEASE=")
string(REGEX REPLACE "^VA_LLAMA_CPP_RELEASE=([^ #]*).*" "\\1" VA_LLAMA_CPP_RELEASE "${_va_llama_pin}")
set(VA_LLAMA_DIR "${_va_tools_dir}/llama.cpp-${VA_LLAMA_CPP_RELEASE}"
  CACHE PATH "llama.cpp prefix (scripts/setup puts lib/libllama.*.so and include/ there)")
set(VA_LLM_MODEL "${_va_tools_dir}/models/gemma-3-270m-q4_k_m.gguf"
  CACHE FILEPATH "Default GGUF chat model of the in-process LLM (scripts/setup assembles it there)")
set(VA_LLAMA_FOUND FALSE)
find_path(VA_LLAMA_INCLUDE_DIR llama.h PATHS "${VA_LLAMA_DIR}/include" NO_DEFAULT_PATH)
find_file(VA_LLAMA_LIB_llama "libllama.${VA_LLAMA_CPP_RELEASE}.so" PATHS "${VA_LLAMA_DIR}/lib" NO_DEFAULT_PATH)
find_file(VA_LLAMA_LIB_ggml "libggml.${VA_LLAMA_CPP_RELEASE}.so" PATHS "${VA_LLAMA_DIR}/lib" NO_DEFAULT_PATH)
find_file(VA_LLAMA_LIB_ggml_base "libggml-base.so" PATHS "${VA_LLAMA_DIR}/lib" NO_DEFAULT_PATH)
if(VA_LLAMA_INCLUDE_DIR AND VA_LLAMA_LIB_llama AND VA_LLAMA_LIB_ggml AND VA_LLAMA_LIB_ggml_base)
  add_library(va::llama SHARED IMPORTED GLOBAL)
  set_target_properties(va::llama PROPERTIES IMPORTED_LOCATION "${VA_LLAMA_LIB_llama}"
    IMPORTED_SONAME "libllama.${VA_LLAMA_CPP_RELEASE}.so"
    INTERFACE_INCLUDE_DIRECTORIES "${VA_LLAMA_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${VA_LLAMA_LIB_ggml};${VA_LLAMA_LIB_ggml_base};${CMAKE_DL_LIBS}"
    INTERFACE_LINK_OPTIONS "LINKER:--exclude-libs,libwhisper.a:libparakeet.a:libggml.a:libggml-cpu.a:libggml-base.a")
  set(VA_LLAMA_FOUND TRUE)
  message(STATUS "LLM: llama.cpp ${VA_LLAMA_CPP_RELEASE} found in ${VA_LLAMA_DIR} (va::llama)")
  if(NOT EXISTS "${VA_LLM_MODEL}")
    message(STATUS "LLM: model missing at ${VA_LLM_MODEL} (run scripts/setup)")
  endif()
else()
  message(STATUS "LLM: llama.cpp NOT found in ${VA_LLAMA_DIR}: the in-process LLM is built out (run scripts/setup)")
endif()
