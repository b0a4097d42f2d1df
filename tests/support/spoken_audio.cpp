#include "support/spoken_audio.hpp"

#include <cctype>
#include <chrono>

#include "support/external_tool.hpp"

namespace va::test {

using namespace std::chrono_literals;

std::filesystem::path spoken_wav(const TempDirectory& dir, const std::string& name,
                                 const std::string& language, const std::string& text, int rate,
                                 double lead_s, double tail_s) {
  auto speech = dir / (name + "-speech.wav");
  run_tool_or_throw({VA_BINARY, "say", "--lang", language, text, "-o", speech.string()}, 60s);
  auto out = dir / (name + ".wav");
  run_tool_or_throw({"sox", speech.string(), "-r", std::to_string(rate), "-c", "1", "-b", "16", out.string(),
                     "pad", std::to_string(lead_s), std::to_string(tail_s)});
  return out;
}

std::string transcribe(const std::filesystem::path& wav, const std::string& language) {
  auto text = run_tool_or_throw({VA_BINARY, "transcribe", "--lang", language, wav.string()}, 120s);
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace va::test
