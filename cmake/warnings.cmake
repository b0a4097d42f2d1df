# Compiler flags shared by every target of the project (applied through va_project_options).
add_library(va_project_options INTERFACE)
target_compile_options(va_project_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(VA_WERROR)
  target_compile_options(va_project_options INTERFACE -Werror)
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
