#include "cli/docgen.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/options.h"

namespace fleetpatch::cli {
namespace {

std::map<std::string, std::string> Docs() {
  std::map<std::string, std::string> docs;
  VisitCommandLine([&](const CLI::App& app) { docs = GenerateDocs(app, "9.9.9"); });
  return docs;
}

// Every flag of every visible (sub)command, with its man page and the --help text it must agree with.
struct FlagDoc {
  std::string page;
  std::string name;
  std::string description;
};

std::vector<FlagDoc> AllFlags() {
  std::vector<FlagDoc> out;
  VisitCommandLine([&](const CLI::App& root) {
    auto add = [&](const CLI::App& app, const std::string& page) {
      for (const CLI::Option* o : app.get_options())
        out.push_back({page, o->get_name(), o->get_description()});
    };
    add(root, "man1/fleetpatch.1");
    for (const CLI::App* s : root.get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); }))
      add(*s, "man1/fleetpatch-" + s->get_name() + ".1");
  });
  return out;
}

TEST(DocgenTest, OnePagePerVisibleSubcommandAndNoneForHiddenOnes) {
  auto docs = Docs();
  for (const char* sub : {"runs", "show", "report", "validate", "whoami", "emulator", "demo", "rollback"}) {
    EXPECT_TRUE(docs.count(std::string("man1/fleetpatch-") + sub + ".1")) << sub;
  }
  EXPECT_FALSE(docs.count("man1/fleetpatch-gen-docs.1"));
  for (const auto& [path, text] : docs) EXPECT_EQ(text.find("gen-docs DIR"), std::string::npos) << path;
}

TEST(DocgenTest, EveryFlagOfTheParserIsInItsManPageAndInHelp) {
  auto docs = Docs();
  auto flags = AllFlags();
  ASSERT_GT(flags.size(), 20u);
  const std::string help = HelpText();
  for (const auto& f : flags) {
    const std::string& page = docs[f.page];
    EXPECT_NE(page.find(RoffEscape(f.description)), std::string::npos) << f.page << ": " << f.name;
    if (f.name.rfind("--", 0) == 0) {
      EXPECT_NE(page.find("\\fB" + RoffEscape(f.name) + "\\fR"), std::string::npos)
          << f.page << ": " << f.name;
    }
    if (f.page == "man1/fleetpatch.1") {
      EXPECT_NE(help.find(f.name), std::string::npos) << f.name;
    }
  }
}

TEST(DocgenTest, RootPageHasNameSynopsisExitStatusAndVersion) {
  const std::string page = Docs()["man1/fleetpatch.1"];
  EXPECT_NE(page.find(".TH FLEETPATCH 1 \"\" \"fleetpatch 9.9.9\""), std::string::npos);
  EXPECT_NE(page.find(".SH NAME\nfleetpatch \\- patch Amazon EC2 fleets"), std::string::npos);
  EXPECT_NE(page.find(".SH \"EXIT STATUS\""), std::string::npos);
  EXPECT_NE(page.find("130  interrupted"), std::string::npos);
  EXPECT_NE(page.find("\\fBfleetpatch\\-show\\fR(1)"), std::string::npos);
}

TEST(DocgenTest, RoffEscapeNeutralisesControlCharacters) {
  EXPECT_EQ(RoffEscape("a-b\\c"), "a\\-b\\ec");
  EXPECT_EQ(RoffEscape(".SH evil\n'x"), "\\&.SH evil\n\\&'x");
}

// Runs the generated bash completion in bash for the words given; returns COMPREPLY.
std::string Complete(const std::string& words, int cword) {
  auto path = std::filesystem::temp_directory_path() / ("fp_completion_" + std::to_string(::getpid()));
  std::ofstream(path) << Docs()["bash-completion/fleetpatch"];
  std::string cmd = "bash -c 'source " + path.string() + "; COMP_WORDS=(" + words +
                    "); COMP_CWORD=" + std::to_string(cword) + "; _fleetpatch; echo \"${COMPREPLY[*]}\"'";
  std::string out;
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    pclose(p);
  }
  std::filesystem::remove(path);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(DocgenTest, BashCompletionCompletesFlagsSubcommandsAndTheirFlags) {
  EXPECT_EQ(Complete("fleetpatch --log-", 1), "--log-level --log-format");
  EXPECT_EQ(Complete("fleetpatch sh", 1), "show");
  EXPECT_EQ(Complete("fleetpatch runs --li", 2), "--limit");
  EXPECT_EQ(Complete("fleetpatch --limit", 1), "");  // --limit belongs to `runs` only
  EXPECT_EQ(Complete("fleetpatch whoami --role", 2), "--role-arn");
  EXPECT_EQ(Complete("fleetpatch rollback --inst", 2), "--instance");
}

TEST(DocgenTest, ZshCompletionDeclaresEveryCommand) {
  const std::string z = Docs()["zsh/_fleetpatch"];
  EXPECT_EQ(z.rfind("#compdef fleetpatch\n", 0), 0u);
  for (const char* sub : {"runs", "show", "report", "validate", "whoami", "emulator", "demo", "rollback"}) {
    EXPECT_NE(z.find(std::string("      ") + sub + ")\n"), std::string::npos) << sub;
  }
  EXPECT_NE(z.find("'(-c --config)--config["), std::string::npos);
}

}  // namespace
}  // namespace fleetpatch::cli
