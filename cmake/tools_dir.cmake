# Where scripts/setup puts what it builds or fetches (the same default as scripts/versions.sh): $VA_TOOLS_DIR,
# else $XDG_CACHE_HOME or ~/.cache, + /voice-agent/tools. Sets VA_TOOLS_DIR_DEFAULT.
if(DEFINED ENV{VA_TOOLS_DIR})
  set(VA_TOOLS_DIR_DEFAULT "$ENV{VA_TOOLS_DIR}")
elseif(DEFINED ENV{XDG_CACHE_HOME})
  set(VA_TOOLS_DIR_DEFAULT "$ENV{XDG_CACHE_HOME}/voice-agent/tools")
else()
  set(VA_TOOLS_DIR_DEFAULT "$ENV{HOME}/.cache/voice-agent/tools")
endif()
