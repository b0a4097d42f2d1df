// A child process for integration tests that run the real voice-agent binary.
//
// The child's stdout and stderr go to pipes that a background thread drains into buffers, so the child
// never blocks on a full pipe however much it logs. Tests wait for output (a substring, a regex or any
// predicate), send signals, and wait for the exit status with a timeout. A child still running when the
// Process is destroyed is killed (SIGKILL) and reaped; the child also gets SIGKILL if the test process
// dies (PR_SET_PDEATHSIG), so a crashed test leaves no server behind. The child's stdin is /dev/null unless
// the test asks for a pipe to drive it (ProcessOptions::pipe_stdin).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace va::test {

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is the program: a path, or a name looked up in PATH
  // Added to (or replacing in) the test's own environment.
  std::vector<std::pair<std::string, std::string>> env;
  // Removed from the inherited environment (e.g. LIVEKIT_API_SECRET), applied before `env`.
  std::vector<std::string> unset_env;
  std::string working_directory;  // empty: the test's own
  bool pipe_stdin = false;        // true: write_stdin() feeds the child; false: its stdin is /dev/null
};

struct ExitStatus {
  int code = -1;           // exit code when the child exited; -1 when it was killed by a signal
  int signal = 0;          // the signal that ended it, 0 when it exited
  bool timed_out = false;  // it did not exit in time and was killed with SIGKILL by wait_for_exit
  bool exited_with(int expected) const { return signal == 0 && code == expected; }
  std::string describe() const;  // "exit code 0", "killed by signal 9 (timed out)", ...
};

enum class Stream { out, err, either };

class Process {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts the child; throws std::runtime_error when it cannot be started (e.g. no such program).
  explicit Process(ProcessOptions options);
  Process(std::vector<std::string> argv, std::vector<std::pair<std::string, std::string>> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Everything the child has written so far.
  std::string stdout_text() const;
  std::string stderr_text() const;

  // Waits until `ready(stdout, stderr)` holds; false on timeout or when the child closed both streams
  // without it holding.
  bool wait_for_output(const std::function<bool(const std::string& out, const std::string& err)>& ready,
                       std::chrono::milliseconds timeout);
  bool wait_for_output(std::string_view substring, Stream stream, std::chrono::milliseconds timeout);
  bool wait_for_output(const std::regex& pattern, Stream stream, std::chrono::milliseconds timeout);

  // Writes all of `text` to the child's stdin (ProcessOptions::pipe_stdin). False when there is no such pipe
  // or the child closed it (it exited): never SIGPIPE.
  bool write_stdin(std::string_view text);
  // End of input for the child. Idempotent.
  void close_stdin();

  // False when the child has already been reaped.
  bool send_signal(int signal);
  bool running();

  // Waits for the child to end. On timeout it is killed with SIGKILL and the status says timed_out.
  ExitStatus wait_for_exit(std::chrono::milliseconds timeout);

 private:
  void drain_pipes();
  bool try_reap(bool block);

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  int stdin_fd_ = -1;          // the writing end of the child's stdin, when piped
  int wake_fd_[2] = {-1, -1};  // tells the drain thread to stop when pipes outlive the child
  std::optional<ExitStatus> exit_status_;

  mutable std::mutex mutex_;
  std::condition_variable output_changed_;
  std::string stdout_;
  std::string stderr_;
  bool streams_closed_ = false;
  std::thread drainer_;
};

}  // namespace va::test
