// Man pages and shell completions generated from the CLI11 definition behind --help
// (VisitCommandLine in options.h), so that neither can drift from what the parser accepts.
// `fleetpatch gen-docs DIR` writes them; the build runs it and `make install` / `make package`
// ship the result:
//   DIR/man1/fleetpatch.1, DIR/man1/fleetpatch-<subcommand>.1   (roff, man(7) macros)
//   DIR/bash-completion/fleetpatch                                (bash-completion, loaded on demand)
//   DIR/zsh/_fleetpatch                                           (zsh compsys)
// Hidden subcommands (empty CLI11 group) are left out everywhere.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>

namespace CLI {
class App;
}

namespace fleetpatch::cli {

// The generated files, keyed by their path relative to DIR (as listed above).
std::map<std::string, std::string> GenerateDocs(const CLI::App& root, const std::string& version);

// Text escaped for roff: backslashes, hyphens and lines starting with '.' or '\''.
std::string RoffEscape(const std::string& text);

}  // namespace fleetpatch::cli
