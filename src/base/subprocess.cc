#include "base/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/encoding.h"

extern char** environ;

namespace dr {

namespace {
constexpr size_t kTailBytes = 8192;

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}
}  // namespace

Subprocess::~Subprocess() {
  CloseStdin();
  CloseStdout();
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (stderr_reader_.joinable()) stderr_reader_.join();
  CloseFd(stderr_fd_);
}

Result<std::unique_ptr<Subprocess>> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return InvalidArgument("no command to run");
  std::unique_ptr<Subprocess> p(new Subprocess());
  p->name_ = options.argv[0].substr(options.argv[0].rfind('/') + 1);
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if ((options.pipe_stdin && ::pipe2(in, O_CLOEXEC) != 0) ||
      (options.pipe_stdout && options.stdout_file.empty() && ::pipe2(out, O_CLOEXEC) != 0) ||
      ::pipe2(err, O_CLOEXEC) != 0) {
    return ErrnoStatus(errno, "unable to create a pipe for " + p->name_);
  }
  int out_file = -1;
  if (!options.stdout_file.empty()) {
    out_file = ::open(options.stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out_file < 0) return ErrnoStatus(errno, "unable to create '" + options.stdout_file + "'");
  }
  // Build argv and envp before fork: only async-signal-safe calls after it.
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& add : options.env) {
      auto eq = add.find('=');
      if (entry.substr(0, eq + 1) == std::string_view(add).substr(0, eq + 1)) replaced = true;
    }
    if (!replaced) env_strings.emplace_back(entry);
  }
  for (const auto& add : options.env) env_strings.push_back(add);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus(errno, "unable to start " + p->name_);
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(options.pipe_stdin ? in[0] : devnull, STDIN_FILENO);
    if (out_file >= 0) {
      ::dup2(out_file, STDOUT_FILENO);
    } else {
      ::dup2(options.pipe_stdout ? out[1] : devnull, STDOUT_FILENO);
    }
    ::dup2(err[1], STDERR_FILENO);
    ::execvpe(argv[0], argv.data(), envp.data());
    const char msg[] = "exec failed: ";
    ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ignored = ::write(STDERR_FILENO, std::strerror(errno), std::strlen(std::strerror(errno)));
    (void)ignored;
    ::_exit(127);
  }
  p->pid_ = pid;
  if (out_file >= 0) ::close(out_file);
  if (options.pipe_stdin) {
    ::close(in[0]);
    p->stdin_fd_ = in[1];
  }
  if (options.pipe_stdout && options.stdout_file.empty()) {
    ::close(out[1]);
    p->stdout_fd_ = out[0];
  }
  ::close(err[1]);
  p->stderr_fd_ = err[0];
  Subprocess* raw = p.get();
  p->stderr_reader_ = std::thread([raw] {
    char buf[4096];
    while (true) {
      ssize_t n = ::read(raw->stderr_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::lock_guard lock(raw->mu_);
      raw->stderr_tail_.append(buf, static_cast<size_t>(n));
      if (raw->stderr_tail_.size() > 2 * kTailBytes) raw->stderr_tail_.erase(0, raw->stderr_tail_.size() - kTailBytes);
    }
  });
  return p;
}

void Subprocess::CloseStdin() { CloseFd(stdin_fd_); }
void Subprocess::CloseStdout() { CloseFd(stdout_fd_); }

void Subprocess::Kill(int signal) {
  std::lock_guard lock(reap_mu_);
  if (!reaped_ && pid_ > 0) ::kill(pid_, signal);
}

namespace {

// The processes below `root` (children, their children, ...), from /proc.
std::vector<pid_t> Descendants(pid_t root) {
  std::map<pid_t, std::vector<pid_t>> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    auto paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 1));
    std::string state;
    pid_t ppid = 0;
    if (fields >> state >> ppid) children[ppid].push_back(static_cast<pid_t>(std::stol(name)));
  }
  std::vector<pid_t> out, todo{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    for (pid_t c : children[p]) {
      out.push_back(c);
      todo.push_back(c);
    }
  }
  return out;
}

}  // namespace

bool Subprocess::KillTree(int signal) {
  std::lock_guard lock(reap_mu_);
  if (reaped_ || pid_ <= 0) return false;
  ::kill(pid_, SIGSTOP);
  std::vector<pid_t> below = Descendants(pid_);
  ::kill(pid_, signal);
  for (pid_t p : below) ::kill(p, signal);
  ::kill(pid_, SIGCONT);  // a stopped process acts on nothing but SIGKILL until continued
  return true;
}

Result<int> Subprocess::Wait() {
  {
    std::lock_guard lock(reap_mu_);
    if (reaped_) return InvalidArgument(name_ + " was already waited for");
  }
  // Wait for the end without reaping (the zombie keeps the pid), then reap
  // under the lock Kill takes: a Kill from another thread never hits a reused pid.
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0) {
    if (errno != EINTR) return ErrnoStatus(errno, "unable to wait for " + name_);
  }
  int status = 0;
  {
    std::lock_guard lock(reap_mu_);
    while (::waitpid(pid_, &status, 0) < 0) {
      if (errno != EINTR) return ErrnoStatus(errno, "unable to wait for " + name_);
    }
    reaped_ = true;
  }
  if (stderr_reader_.joinable()) stderr_reader_.join();
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string Subprocess::StderrTail() {
  std::lock_guard lock(mu_);
  std::string tail = stderr_tail_.size() > kTailBytes ? stderr_tail_.substr(stderr_tail_.size() - kTailBytes) : stderr_tail_;
  return std::string(TrimWhitespace(tail));
}

Status Subprocess::ExitError(int code) {
  std::string tail = StderrTail();
  std::string how = code > 128 ? "was killed by signal " + std::to_string(code - 128) : "exited with code " + std::to_string(code);
  return Failed(name_ + " " + how + (tail.empty() ? "" : ": " + tail));
}

Result<std::string> RunCommand(const SubprocessOptions& options) {
  DR_ASSIGN_OR_RETURN(auto p, Subprocess::Start(options));
  std::string out;
  if (p->stdout_fd() >= 0) {
    char buf[65536];
    while (true) {
      ssize_t n = ::read(p->stdout_fd(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  DR_ASSIGN_OR_RETURN(int code, p->Wait());
  if (code != 0) return p->ExitError(code);
  return out;
}

Result<int> RunShell(const std::string& command, double timeout_seconds, std::string* output,
                     const std::vector<std::string>& env) {
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.3f", timeout_seconds);
  DR_ASSIGN_OR_RETURN(auto child, Subprocess::Start({.argv = {"timeout", "-k", "2", secs, "/bin/sh", "-c", command},
                                                     .env = env}));
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(child->stdout_fd(), buf, sizeof buf)) > 0) {
    if (out.size() < 8192) out.append(buf, static_cast<size_t>(n));
  }
  DR_ASSIGN_OR_RETURN(int rc, child->Wait());
  std::string err = child->StderrTail();
  if (output != nullptr) {
    *output = out + err;
    while (!output->empty() && (output->back() == '\n' || output->back() == ' ')) output->pop_back();
  }
  return rc;
}

}  // namespace dr
