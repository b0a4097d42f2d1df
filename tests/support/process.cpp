#include "support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace va::test {
namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::vector<std::string> build_environment(const ProcessOptions& options) {
  std::vector<std::string> result;
  auto overridden = [&](std::string_view entry) {
    const auto name = entry.substr(0, entry.find('='));
    for (const auto& unset : options.unset_env) {
      if (name == unset) return true;
    }
    for (const auto& [key, value] : options.env) {
      if (name == key) return true;
    }
    return false;
  };
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    if (!overridden(*entry)) result.emplace_back(*entry);
  }
  for (const auto& [key, value] : options.env) result.push_back(key + "=" + value);
  return result;
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::string ExitStatus::describe() const {
  std::string text =
      signal != 0 ? "killed by signal " + std::to_string(signal) : "exit code " + std::to_string(code);
  if (timed_out) text += " (did not exit in time)";
  return text;
}

Process::Process(std::vector<std::string> argv, std::vector<std::pair<std::string, std::string>> env)
    : Process(ProcessOptions{std::move(argv), std::move(env), {}, {}}) {}

Process::Process(ProcessOptions options) {
  if (options.argv.empty()) throw std::invalid_argument("Process: empty argv");
  int out[2];
  int err[2];
  int in[2] = {-1, -1};
  int exec_error[2];  // the child reports a failed exec through this close-on-exec pipe
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 || ::pipe2(exec_error, O_CLOEXEC) != 0 ||
      ::pipe2(wake_fd_, O_CLOEXEC) != 0 || (options.pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0)) {
    throw std::runtime_error(std::string("Process: pipe failed: ") + std::strerror(errno));
  }

  // Everything the child needs is prepared before fork: after it, in a multi-threaded parent, the child
  // may only call async-signal-safe functions.
  std::vector<std::string> argv_strings = options.argv;
  std::vector<std::string> env_strings = build_environment(options);
  std::vector<char*> argv = pointers_to(argv_strings);
  std::vector<char*> envp = pointers_to(env_strings);
  const bool has_slash = options.argv[0].find('/') != std::string::npos;
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("Process: fork failed: ") + std::strerror(errno));
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int stdin_source = options.pipe_stdin ? in[0] : ::open("/dev/null", O_RDONLY);
    if (stdin_source >= 0) ::dup2(stdin_source, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    if (!options.working_directory.empty() && ::chdir(options.working_directory.c_str()) != 0) {
      const int error = errno;
      [[maybe_unused]] auto written = ::write(exec_error[1], &error, sizeof error);
      ::_exit(127);
    }
    if (has_slash) {
      ::execve(argv[0], argv.data(), envp.data());
    } else {
      ::execvpe(argv[0], argv.data(), envp.data());
    }
    const int error = errno;
    [[maybe_unused]] auto written = ::write(exec_error[1], &error, sizeof error);
    ::_exit(127);
  }

  ::close(out[1]);
  ::close(err[1]);
  ::close(exec_error[1]);
  close_fd(in[0]);
  stdin_fd_ = in[1];
  int child_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_error[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(exec_error[0]);
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
    close_fd(stdin_fd_);
    close_fd(wake_fd_[0]);
    close_fd(wake_fd_[1]);
    throw std::runtime_error("Process: cannot start " + options.argv[0] + ": " + std::strerror(child_errno));
  }
  drainer_ = std::thread([this] { drain_pipes(); });
}

Process::~Process() {
  if (pid_ > 0 && !exit_status_) {
    ::kill(pid_, SIGKILL);
    try_reap(true);
  }
  // The child is gone; its pipes normally hit EOF at once. A grandchild holding them must not hang us.
  {
    std::unique_lock lock(mutex_);
    output_changed_.wait_for(lock, std::chrono::seconds(1), [this] { return streams_closed_; });
  }
  const char stop = 'x';
  [[maybe_unused]] auto written = ::write(wake_fd_[1], &stop, 1);
  if (drainer_.joinable()) drainer_.join();
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
  close_fd(wake_fd_[0]);
  close_fd(wake_fd_[1]);
}

void Process::drain_pipes() {
  pollfd fds[3] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}, {wake_fd_[0], POLLIN, 0}};
  std::string* targets[2] = {&stdout_, &stderr_};
  int open_streams = 2;
  char chunk[16384];
  while (open_streams > 0) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, chunk, sizeof chunk);
      if (n > 0) {
        std::lock_guard lock(mutex_);
        targets[i]->append(chunk, static_cast<std::size_t>(n));
        output_changed_.notify_all();
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;  // poll ignores negative descriptors
        --open_streams;
      }
    }
  }
  std::lock_guard lock(mutex_);
  streams_closed_ = true;
  output_changed_.notify_all();
}

std::string Process::stdout_text() const {
  std::lock_guard lock(mutex_);
  return stdout_;
}

std::string Process::stderr_text() const {
  std::lock_guard lock(mutex_);
  return stderr_;
}

bool Process::wait_for_output(const std::function<bool(const std::string&, const std::string&)>& ready,
                              std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return output_changed_.wait_for(lock, timeout, [&] {
    return ready(stdout_, stderr_) || streams_closed_;
  }) && ready(stdout_, stderr_);
}

bool Process::wait_for_output(std::string_view substring, Stream stream, std::chrono::milliseconds timeout) {
  return wait_for_output(
      [&](const std::string& out, const std::string& err) {
        return (stream != Stream::err && out.find(substring) != std::string::npos) ||
               (stream != Stream::out && err.find(substring) != std::string::npos);
      },
      timeout);
}

bool Process::wait_for_output(const std::regex& pattern, Stream stream, std::chrono::milliseconds timeout) {
  return wait_for_output(
      [&](const std::string& out, const std::string& err) {
        return (stream != Stream::err && std::regex_search(out, pattern)) ||
               (stream != Stream::out && std::regex_search(err, pattern));
      },
      timeout);
}

bool Process::write_stdin(std::string_view text) {
  if (stdin_fd_ < 0) return false;
  // A child that exited closed the pipe: writing raises SIGPIPE, which would end the test. Block it for this
  // thread and take a pending one back before unblocking (the usual way for a library that must not touch
  // the process's signal dispositions).
  sigset_t pipe_only;
  sigset_t previous;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
  bool ok = true;
  while (!text.empty()) {
    const ssize_t n = ::write(stdin_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  if (!ok && errno == EPIPE) {
    const timespec no_wait{0, 0};
    while (::sigtimedwait(&pipe_only, nullptr, &no_wait) == SIGPIPE) {
    }
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return ok;
}

void Process::close_stdin() {
  close_fd(stdin_fd_);
}

bool Process::try_reap(bool block) {
  if (exit_status_) return true;
  int status = 0;
  pid_t result = 0;
  do {
    result = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (result < 0 && errno == EINTR);
  if (result != pid_) return false;
  ExitStatus exit;
  if (WIFEXITED(status)) {
    exit.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
  }
  exit_status_ = exit;
  return true;
}

bool Process::send_signal(int signal) {
  if (pid_ <= 0 || try_reap(false)) return false;
  return ::kill(pid_, signal) == 0;
}

bool Process::running() {
  return pid_ > 0 && !try_reap(false);
}

ExitStatus Process::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!try_reap(false)) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      try_reap(true);
      exit_status_->timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return *exit_status_;
}

}  // namespace va::test
