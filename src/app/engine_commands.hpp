// Operator tools for the speech engines (issue 10 item 6), through the same registry the service uses:
//   voice-agent engines [--json]                                  every engine: available or why not
//   voice-agent say --lang ru [--engine E] [--voice V] TEXT -o out.wav   16 kHz mono WAV
//   voice-agent transcribe --lang ru [--engine whisper] in.wav    prints the text
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace va::app {

class EngineCommands {
 public:
  // Adds the three subcommands to `app`.
  explicit EngineCommands(CLI::App& app);
  // After parsing: the exit code if one of them was chosen.
  std::optional<int> run() const;

 private:
  CLI::App* engines_cmd_;
  CLI::App* say_cmd_;
  CLI::App* transcribe_cmd_;
  bool json_ = false;
  std::string language_;
  std::string engine_;
  std::string voice_;
  std::string text_;
  std::string file_;
};

}  // namespace va::app
