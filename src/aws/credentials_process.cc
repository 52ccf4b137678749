#include "aws/credentials_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/clock.h"

extern char** environ;

namespace fleetpatch::aws {

Result<std::vector<std::string>> SplitCommandLine(const std::string& command_line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  const size_t n = command_line.size();
  while (i < n) {
    char c = command_line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) {
        words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      ++i;
    } else if (c == '\'') {
      size_t close = command_line.find('\'', i + 1);
      if (close == std::string::npos) return Error::Config("credential_process has an unclosed single quote");
      word.append(command_line, i + 1, close - i - 1);
      in_word = true;
      i = close + 1;
    } else if (c == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        char d = command_line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        // Inside double quotes a backslash escapes only '"' and '\' (shlex's POSIX rule).
        if (d == '\\' && i + 1 < n && (command_line[i + 1] == '"' || command_line[i + 1] == '\\')) {
          word.push_back(command_line[i + 1]);
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) return Error::Config("credential_process has an unclosed double quote");
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= n) return Error::Config("credential_process ends with a lone backslash");
      word.push_back(command_line[i + 1]);
      in_word = true;
      i += 2;
    } else {
      word.push_back(c);
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

namespace {

struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::string Truncate(std::string s, size_t max) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

}  // namespace

Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 size_t max_output) {
  if (argv.empty()) return Error::Config("credential_process is empty");
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return Error::Internal(std::string("pipe: ") + std::strerror(errno));
  Fd out_r{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return Error::Internal(std::string("pipe: ") + std::strerror(errno));
  Fd err_r{err_pipe[0]}, err_w{err_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Error::Config("cannot run credential_process program '" + argv[0] + "': " + std::strerror(rc));
  }
  out_w.Close();
  err_w.Close();

  ProcessOutput result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  pollfd fds[2] = {{out_r.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.stdout_text, &result.stderr_text};
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int pr = ::poll(fds, 2, static_cast<int>(left.count()));
    if (pr < 0) {
      if (errno == EINTR) continue;
      timed_out = true;  // cannot watch the child any more: stop it rather than wait forever
      break;
    }
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0) continue;
      ssize_t got = ::read(fds[k].fd, buf, sizeof buf);
      if (got > 0) {
        size_t room = max_output > sinks[k]->size() ? max_output - sinks[k]->size() : 0;
        sinks[k]->append(buf, std::min(room, static_cast<size_t>(got)));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[k].fd = -1;  // closed; the Fd owner closes the descriptor
        --open_count;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return Error::Timeout("credential_process '" + argv[0] + "' did not finish within " +
                          std::to_string(timeout.count()) + " ms and was killed");
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

Result<Credentials> ParseProcessCredentials(const std::string& text, const std::string& source) {
  // Parse without exceptions: nlohmann's parse_error text quotes the input, which holds secrets.
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const std::string where = "credential_process for " + source;
  if (j.is_discarded() || !j.is_object())
    return Error::Auth(where + " did not print a JSON object on stdout");
  auto version = j.find("Version");
  if (version == j.end() || !version->is_number_integer() || version->get<int64_t>() != 1) {
    return Error::Auth(where +
                       " printed JSON without \"Version\": 1 (the only version the AWS CLI supports)");
  }
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  Credentials c;
  c.access_key_id = str("AccessKeyId");
  c.secret_access_key = str("SecretAccessKey");
  c.session_token = str("SessionToken");
  if (c.access_key_id.empty()) return Error::Auth(where + " printed no \"AccessKeyId\"");
  if (c.secret_access_key.empty()) return Error::Auth(where + " printed no \"SecretAccessKey\"");
  std::string expiration = str("Expiration");
  if (!expiration.empty()) {
    std::chrono::system_clock::time_point t;
    if (!ParseIso8601(expiration, &t)) {
      return Error::Auth(where + " printed an \"Expiration\" that is not an ISO 8601 UTC time");
    }
    c.expiration = t;
  }
  c.source = source;
  return c;
}

Result<Credentials> ProcessCredentialsProvider::GetCredentials() {
  auto argv = SplitCommandLine(command_line_);
  if (!argv.ok()) return Error::Config(argv.error().message + " (" + source_ + ")");
  if (argv->empty()) return Error::Config("credential_process is empty (" + source_ + ")");
  auto out = RunProcess(*argv, timeout_);
  if (!out.ok()) {
    Error e = out.error();
    e.message += " (" + source_ + ")";
    return e;
  }
  if (out->exit_code != 0) {
    std::string msg = "credential_process '" + (*argv)[0] + "' for " + source_ + " exited with status " +
                      std::to_string(out->exit_code);
    // Its stderr is not quoted: a credential helper may print tokens or keys there, and this
    // message reaches the terminal, the event journal and the reports.
    std::string err = Truncate(out->stderr_text, SIZE_MAX);
    msg += err.empty()
               ? " and printed nothing on stderr"
               : " and printed " + std::to_string(err.size()) +
                     " bytes on stderr (not shown, it may hold secrets: run the command by hand to see them)";
    return Error::Auth(msg);
  }
  return ParseProcessCredentials(out->stdout_text, source_);
}

}  // namespace fleetpatch::aws
