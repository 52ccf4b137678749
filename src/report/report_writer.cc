#include "report/report_writer.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <streambuf>

#include "report/csv_writer.h"
#include "report/html_writer.h"
#include "report/json_writer.h"
#include "report/junit_writer.h"
#include "report/xml_writer.h"

namespace fleetpatch::report {
namespace {

std::string Errno() { return std::strerror(errno); }

// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

Status FsyncDirectory(const std::filesystem::path& dir) {
  FdCloser d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return Error::Internal(fmt::format("cannot open directory {}: {}", dir.string(), Errno()));
  if (::fsync(d.fd) != 0)
    return Error::Internal(fmt::format("cannot sync directory {}: {}", dir.string(), Errno()));
  return OkStatus();
}

// A write-only stream buffer over a file descriptor: 64 KiB buffered, write(2) retried on EINTR and
// short writes. The first failure's errno is kept; the stream then reports badbit.
class FdStreamBuf final : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd), buf_(64 * 1024) { setp(buf_.data(), buf_.data() + buf_.size()); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!Flush()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n >= static_cast<std::streamsize>(buf_.size())) {  // large pieces go straight to the file
      if (!Flush() || !WriteAll(s, static_cast<size_t>(n))) return 0;
      return n;
    }
    return std::streambuf::xsputn(s, n);
  }
  int sync() override { return Flush() ? 0 : -1; }

 private:
  bool Flush() {
    const size_t n = static_cast<size_t>(pptr() - pbase());
    if (n > 0 && !WriteAll(pbase(), n)) return false;
    setp(buf_.data(), buf_.data() + buf_.size());
    return true;
  }
  bool WriteAll(const char* p, size_t left) {
    if (error_ != 0) return false;
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    return true;
  }
  int fd_;
  std::vector<char> buf_;
  int error_ = 0;
};

}  // namespace

ReportData::ReportData(const RunSnapshot& s, std::string generated)
    : owned_(std::make_unique<SnapshotSource>(s)),
      source(*owned_),
      summary(Summarize(s)),
      generated_at(std::move(generated)) {}

Result<std::string> ReportWriter::Render(const ReportData& data) const {
  std::ostringstream out;
  FP_RETURN_IF_ERROR(Write(data, out));
  if (!out) return Error::Internal(fmt::format("rendering the {} report failed", ReportFormatName(format())));
  return std::move(out).str();
}

std::unique_ptr<ReportWriter> MakeReportWriter(ReportFormat format) {
  switch (format) {
    case ReportFormat::kCsv:
      return std::make_unique<CsvWriter>();
    case ReportFormat::kJson:
      return std::make_unique<JsonWriter>();
    case ReportFormat::kHtml:
      return std::make_unique<HtmlWriter>();
    case ReportFormat::kXml:
      return std::make_unique<XmlWriter>();
    case ReportFormat::kJunit:
      return std::make_unique<JunitWriter>();
  }
  return nullptr;
}

Status ValidateRunIdForFileName(const std::string& run_id) {
  bool ok = !run_id.empty() && run_id.size() <= 128 && run_id.front() != '.' && run_id.front() != '-';
  for (char c : run_id) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                   c == '_' || c == '-';
    ok = ok && allowed;
  }
  if (!ok)
    return Error::Validation(fmt::format(
        "run id '{}' cannot be used in a report file name: use 1-128 letters, digits, '.', '_' or '-'",
        run_id.size() > 64 ? run_id.substr(0, 64) + "..." : run_id));
  return OkStatus();
}

Status EnsurePrivateDirectory(const std::filesystem::path& dir) {
  if (dir.empty()) return Error::Config("the report output directory is empty");
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return OkStatus();
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    std::filesystem::path parent = dir.parent_path();
    if (!parent.empty()) FP_RETURN_IF_ERROR(EnsurePrivateDirectory(parent));
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Error::Config(fmt::format("cannot create report directory {}: {}", dir.string(), Errno()));
  if (!std::filesystem::is_directory(dir, ec))
    return Error::Config(fmt::format("report output path {} exists and is not a directory", dir.string()));
  return OkStatus();
}

Status WriteFileAtomic(const std::filesystem::path& path, const std::string& content) {
  return WriteFileAtomic(path, [&content](std::ostream& out) -> Status {
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return OkStatus();
  });
}

Status WriteFileAtomic(const std::filesystem::path& path, const std::function<Status(std::ostream&)>& write) {
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  // mkostemp creates the file with mode 0600, so the report is never readable by others, not even
  // briefly.
  FdCloser f{::mkostemp(tmpl.data(), O_CLOEXEC)};
  if (f.fd < 0)
    return Error::Config(
        fmt::format("cannot create a file in {}: {} (check the directory exists and is writable)",
                    dir.string(), Errno()));
  auto discard = [&]() {
    ::close(f.fd);
    f.fd = -1;
    ::unlink(tmpl.c_str());
  };
  auto fail = [&](const std::string& what) -> Status {
    Error e = Error::Internal(fmt::format("cannot {} {}: {}", what, tmpl, Errno()));
    discard();
    return e;
  };
  {
    FdStreamBuf buf(f.fd);
    std::ostream out(&buf);
    Status produced = write(out);
    if (!produced.ok()) {      // half a report is no report: the previous file (if any) stays
      if (buf.error() != 0) {  // the writer stopped because the file could not be written: say why
        errno = buf.error();
        return fail("write");
      }
      discard();
      return produced;
    }
    out.flush();
    if (!out || buf.error() != 0) {
      errno = buf.error() != 0 ? buf.error() : EIO;
      return fail("write");
    }
  }
  if (::fchmod(f.fd, 0600) != 0) return fail("set permissions of");
  if (::fsync(f.fd) != 0) return fail("sync");
  if (::close(f.fd) != 0) {
    f.fd = -1;
    ::unlink(tmpl.c_str());
    return Error::Internal(fmt::format("cannot close {}: {}", tmpl, Errno()));
  }
  f.fd = -1;
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    Error e = Error::Internal(fmt::format("cannot rename {} to {}: {}", tmpl, path.string(), Errno()));
    ::unlink(tmpl.c_str());
    return e;
  }
  return FsyncDirectory(dir);
}

Result<std::vector<std::filesystem::path>> WriteReports(const RunSource& source, const RunSummary& summary,
                                                        const std::filesystem::path& output_dir,
                                                        const std::vector<ReportFormat>& formats,
                                                        const WriteOptions& options) {
  FP_RETURN_IF_ERROR(ValidateRunIdForFileName(source.run().run_id));
  FP_RETURN_IF_ERROR(EnsurePrivateDirectory(output_dir));
  ReportData data(source, summary, options.generated_at);
  std::vector<std::filesystem::path> written;
  for (ReportFormat f : formats) {
    std::unique_ptr<ReportWriter> writer = MakeReportWriter(f);
    std::filesystem::path path = output_dir / writer->FileName(source.run().run_id);
    FP_RETURN_IF_ERROR(WriteFileAtomic(path, [&](std::ostream& out) { return writer->Write(data, out); }));
    written.push_back(std::move(path));
  }
  return written;
}

Result<std::vector<std::filesystem::path>> WriteReports(const RunSnapshot& snapshot,
                                                        const std::filesystem::path& output_dir,
                                                        const std::vector<ReportFormat>& formats,
                                                        const WriteOptions& options) {
  SnapshotSource source(snapshot);
  return WriteReports(source, Summarize(snapshot), output_dir, formats, options);
}

}  // namespace fleetpatch::report
