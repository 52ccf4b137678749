// A main() for the fuzz targets without libFuzzer: the short run CI does under gcc's ASan+UBSan in
// the asan build (whose libraries are already compiled), instead of a second, clang build of them.
// It replays every file of the given corpus directories, then mutates them (bit flips, byte
// inserts/erases, chunk copies, splices, truncation) from a fixed seed for -max_total_time seconds.
// No coverage feedback: this is a smoke test of the parsers on mangled real inputs; the real search
// is `make fuzz` (clang + libFuzzer, docs/fuzzing.md).
//
//   fuzz_x_replay [-max_total_time=S] [-seed=N] [-max_len=N] DIR_OR_FILE...
//
// Each input is written to ./replay-crash-<target> (or $FP_FUZZ_ARTIFACT) before it runs (two
// syscalls; a sanitizer's death callback proved unreliable under gcc's UBSan) and the file is removed
// after a clean run: after a crash it holds the input, and `build/fuzz/<target> that-file` (or this
// binary with that file) reproduces it.
// Thread-safety: single-threaded by design.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

int g_artifact_fd = -1;  // holds the input being run

void Run(const std::string& input) {
  if (g_artifact_fd >= 0 &&
      (::ftruncate(g_artifact_fd, 0) != 0 ||
       ::pwrite(g_artifact_fd, input.data(), input.size(), 0) != static_cast<ssize_t>(input.size()))) {
    std::perror("replay: writing the artifact");
    std::exit(2);
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// Tokens that matter to the parsers, spliced in by the mutator.
const char* const kTokens[] = {"<",
                               ">",
                               "</",
                               "/>",
                               "<?xml version=\"1.0\"?>",
                               "&amp;",
                               "&#",
                               "]]>",
                               "<![CDATA[",
                               "{",
                               "}",
                               "[",
                               "]",
                               "\"",
                               ":",
                               ",",
                               "null",
                               "true",
                               "1e999",
                               "-0",
                               "\\u0000",
                               "\n",
                               "\r\n",
                               ": ",
                               "- ",
                               "&a",
                               "*a",
                               "!!binary",
                               "---",
                               "...",
                               "%",
                               "%2F",
                               "%zz",
                               "?",
                               "&",
                               "=",
                               "=/",
                               "//",
                               "/../",
                               "arn:aws:iam::",
                               "http://",
                               "https://",
                               "[::1]",
                               "\xff",
                               "\xc3",
                               "\xe2\x80\xae",
                               "FLEETPATCH_PRECHECK_V1 ",
                               "18446744073709551616",
                               "-9223372036854775809",
                               "2147483648",
                               "NaN",
                               "Infinity"};

std::string Mutate(std::string s, const std::vector<std::string>& corpus, std::mt19937_64& rng,
                   size_t max_len) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const int steps = 1 + static_cast<int>(pick(6));
  for (int i = 0; i < steps; ++i) {
    switch (pick(8)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1u << pick(8));
        break;
      case 1:  // a random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pick(s.size() + 1)), static_cast<char>(pick(256)));
        break;
      case 2: {  // erase a run
        if (s.empty()) break;
        size_t at = pick(s.size());
        s.erase(at, 1 + pick(std::min<size_t>(16, s.size() - at)));
        break;
      }
      case 3: {  // copy a chunk elsewhere
        if (s.empty()) break;
        size_t from = pick(s.size()), len = 1 + pick(std::min<size_t>(64, s.size() - from));
        s.insert(pick(s.size() + 1), s.substr(from, len));
        break;
      }
      case 4:  // a token
        s.insert(pick(s.size() + 1), kTokens[pick(std::size(kTokens))]);
        break;
      case 5: {  // splice with another input
        const std::string& o = corpus[pick(corpus.size())];
        s = s.substr(0, pick(s.size() + 1)) + o.substr(pick(o.size() + 1));
        break;
      }
      case 6:  // truncate
        s.resize(pick(s.size() + 1));
        break;
      default:  // overwrite a byte with a digit or a delimiter
        if (!s.empty()) s[pick(s.size())] = "0123456789<>\"'{}[]:;,-\n\t \\"[pick(26)];
        break;
    }
  }
  if (s.size() > max_len) s.resize(max_len);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20;
  uint64_t seed = 1;
  size_t max_len = 64 * 1024;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.rfind("-max_total_time=", 0) == 0) {
      seconds = std::atof(argv[i] + 16);
    } else if (a.rfind("-seed=", 0) == 0) {
      seed = std::strtoull(argv[i] + 6, nullptr, 10);
    } else if (a.rfind("-max_len=", 0) == 0) {
      max_len = std::strtoull(argv[i] + 9, nullptr, 10);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "replay: ignoring %s\n", argv[i]);
    } else {
      std::error_code ec;
      std::vector<fs::path> files;
      if (fs::is_directory(a, ec)) {
        for (const auto& e : fs::directory_iterator(a)) files.push_back(e.path());
      } else {
        files.emplace_back(a);
      }
      std::sort(files.begin(), files.end());  // the same order everywhere: runs are reproducible
      for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
    }
  }
  const char* artifact = std::getenv("FP_FUZZ_ARTIFACT");
  const std::string artifact_path =
      artifact ? artifact : "replay-crash-" + fs::path(argv[0]).filename().string();
  g_artifact_fd = ::open(artifact_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (g_artifact_fd < 0) std::perror(("replay: " + artifact_path + " (continuing without it)").c_str());
  std::fprintf(stderr, "replay: on a finding, the input is in %s\n", artifact_path.c_str());

  const auto start = std::chrono::steady_clock::now();
  for (const auto& input : corpus) Run(input);
  Run("");
  uint64_t runs = corpus.size() + 1;
  std::mt19937_64 rng(seed);
  if (corpus.empty()) corpus.emplace_back();
  const auto deadline = start + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    for (int batch = 0; batch < 64; ++batch, ++runs)
      Run(Mutate(corpus[rng() % corpus.size()], corpus, rng, max_len));
  }
  if (g_artifact_fd >= 0) ::unlink(artifact_path.c_str());
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("replay: %zu corpus inputs, %llu runs in %.1f s, seed %llu, 0 findings\n", corpus.size(),
              static_cast<unsigned long long>(runs), took, static_cast<unsigned long long>(seed));
  return 0;
}
