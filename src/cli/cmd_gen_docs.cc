// `fleetpatch gen-docs DIR` (hidden): writes the man pages and shell completions generated from
// the command-line definition (docgen.h). The build runs it for `make install` / `make package`.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "cli/docgen.h"

#ifndef FP_VERSION
#define FP_VERSION "0.0.0-dev"
#endif

namespace fleetpatch::cli {

Result<int> RunGenDocsCommand(const Options& options, Context& ctx) {
  std::map<std::string, std::string> files;
  VisitCommandLine([&](const CLI::App& app) { files = GenerateDocs(app, FP_VERSION); });
  namespace fs = std::filesystem;
  for (const auto& [rel, text] : files) {
    fs::path path = fs::path(options.docs_dir) / rel;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (ec || !out) return Error::Config("gen-docs: cannot write " + path.string() + ": check the directory");
    *ctx.out << path.string() << "\n";
  }
  return 0;
}

}  // namespace fleetpatch::cli
