# Compiler flags shared by every target of the project (applied through va_project_options).
add_library(va_project_options INTERFACE)
target_compile_options(va_project_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(VA_WERROR)
  target_compile_options(va_project_options INTERFACE -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O2 reports impossible overlaps and bounds in inlined libstdc++/Boost code (GCC bugs 105329,
    # 105651, 106199 and friends), and mismatched new/free for a test's replacement operator new. Keep these
    # warnings visible but do not fail optimised builds on them; debug and sanitizer builds (-O0) keep -Werror
    # for everything, and the fuzz build is clang.
    target_compile_options(va_project_options INTERFACE -Wno-error=restrict -Wno-error=array-bounds
      -Wno-error=stringop-overflow -Wno-error=stringop-overread -Wno-error=mismatched-new-delete)
  endif()
endif()
if(VA_SANITIZE)
  target_compile_options(va_project_options INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(va_project_options INTERFACE -fsanitize=address,undefined)
endif()
if(VA_FUZZ)
  # Coverage instrumentation for our code; the fuzz targets themselves link the libFuzzer driver.
  target_compile_options(va_project_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined
    -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(va_project_options INTERFACE -fsanitize=address,undefined)
endif()
