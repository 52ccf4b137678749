// JunitWriter: the run as JUnit XML so CI servers (Jenkins, GitLab) show it as test results.
//
// One <testsuite> per landing zone; one <testcase> per instance and phase that ran in the run
// (classname = zone, name = "<instance id> <phase>"): a failed phase is a <failure> (type = error
// category), a skipped, pending or not-run phase is <skipped> with the reason. A zone that failed
// as a whole adds a testcase "<zone> landing zone" with an <error>.
// Thread-safety: stateless.
#pragma once

#include "report/report_writer.h"

namespace fleetpatch::report {

class JunitWriter final : public ReportWriter {
 public:
  ReportFormat format() const override { return ReportFormat::kJunit; }
  std::string FileName(const std::string& run_id) const override {
    return "fleetpatch-" + run_id + "-junit.xml";
  }
  Status Write(const ReportData& data, std::ostream& out) const override;
};

}  // namespace fleetpatch::report
