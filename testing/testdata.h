// Paths to test inputs: AWS's conformance data (../shared/testdata/aws, overridable with the
// FP_TESTDATA_DIR environment variable) and this repository's own files.
#pragma once

#include <filesystem>
#include <string>

namespace fleetpatch::testing {

std::filesystem::path AwsTestdataDir();
std::filesystem::path SourceDir();
std::string ReadFileOrDie(const std::filesystem::path& p);

// A fresh private directory under $TMPDIR, removed when the object is destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace fleetpatch::testing
