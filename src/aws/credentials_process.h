// credential_process: runs an external command that prints credentials as JSON (Version 1) and
// parses its output. The command line is split the way the AWS CLI does on POSIX (shlex rules:
// whitespace separates words, '...' is literal, "..." allows \" and \\, a backslash outside quotes
// escapes the next character) and run directly with execvp, never through a shell, so nothing in it
// is interpreted beyond that quoting.
// The command's stdout holds secrets: it never appears in an error or log; its stderr does (trimmed)
// because that is where a credential helper explains what went wrong.
// Thread-safety: ProcessCredentialsProvider is immutable after construction; each call runs the
// command afresh (wrap it in a CachingProvider to reuse unexpired credentials).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "aws/credentials.h"

namespace fleetpatch::aws {

// Splits a command line into argv words. Unbalanced quotes or a trailing backslash are a kConfig error.
Result<std::vector<std::string>> SplitCommandLine(const std::string& command_line);

struct ProcessOutput {
  int exit_code = 0;        // the exit status, or 128 + signal number when killed by a signal
  std::string stdout_text;  // at most max_output bytes
  std::string stderr_text;  // at most max_output bytes
};

// Runs argv[0] (looked up on PATH) with the process's environment, collects stdout and stderr, and
// kills it when `timeout` passes (a kTimeout error). Fails with kConfig when it cannot be started.
Result<ProcessOutput> RunProcess(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                                 size_t max_output = 1 << 20);

// Parses credential_process output: {"Version": 1, "AccessKeyId", "SecretAccessKey",
// "SessionToken"?, "Expiration"?}. Errors never quote the text.
Result<Credentials> ParseProcessCredentials(const std::string& json, const std::string& source);

class ProcessCredentialsProvider final : public CredentialsProvider {
 public:
  // `source` describes where the command was configured, e.g. "profile dev (credential_process)".
  ProcessCredentialsProvider(std::string command_line, std::string source,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60))
      : command_line_(std::move(command_line)), source_(std::move(source)), timeout_(timeout) {}
  Result<Credentials> GetCredentials() override;

 private:
  std::string command_line_;
  std::string source_;
  std::chrono::milliseconds timeout_;
};

}  // namespace fleetpatch::aws
