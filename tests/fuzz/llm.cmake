# A language model server's answer (src/engines/llm/chat_stream.hpp): the event stream and the completion
# chunks in it, compiled from the source file itself so the target does not link the speech engines.
va_fuzz_target(chat_stream_fuzz ${CMAKE_CURRENT_SOURCE_DIR}/chat_stream_fuzz.cpp
  ${PROJECT_SOURCE_DIR}/src/engines/llm/chat_stream.cpp LIBS va_voice nlohmann_json::nlohmann_json)
target_include_directories(chat_stream_fuzz PRIVATE ${PROJECT_SOURCE_DIR}/src)
