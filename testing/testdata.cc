#include "testing/testdata.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fleetpatch::testing {

std::filesystem::path AwsTestdataDir() {
  if (const char* env = std::getenv("FP_TESTDATA_DIR"); env && *env) return env;
#ifdef FP_TESTDATA_DIR
  return FP_TESTDATA_DIR;
#else
  return std::filesystem::path("..") / "shared" / "testdata" / "aws";
#endif
}

std::filesystem::path SourceDir() {
#ifdef FP_SOURCE_DIR
  return FP_SOURCE_DIR;
#else
  return std::filesystem::current_path();
#endif
}

std::string ReadFileOrDie(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test file " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fleetpatch-test-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace fleetpatch::testing
