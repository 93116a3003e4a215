#include "platform/metrics/testing/promtool.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace orderplatform::metrics::testing {
namespace {

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  static int sequence = 0;
  return absl::StrCat(dir != nullptr ? dir : "/tmp", "/promtool-", getpid(), "-", ++sequence,
                      "-", name);
}

}  // namespace

absl::Status PromtoolCheckMetrics(absl::string_view exposition) {
  if (access(kPromtoolPath, X_OK) != 0) {
    return absl::InternalError(absl::StrCat(kPromtoolPath, " is missing: run tools/setup.sh"));
  }
  const std::string input = TempPath("metrics.txt");
  const std::string output = TempPath("out.txt");
  {
    std::ofstream out(input, std::ios::binary);
    out << exposition;
    if (!out) return absl::InternalError(absl::StrCat("cannot write ", input));
  }
  // promtool reads the exposition from stdin.
  const std::string command =
      absl::StrCat(kPromtoolPath, " check metrics < '", input, "' > '", output, "' 2>&1");
  const int status = std::system(command.c_str());
  std::ifstream in(output);
  std::stringstream said;
  said << in.rdbuf();
  std::remove(input.c_str());
  std::remove(output.c_str());
  if (status == -1 || !WIFEXITED(status)) {
    return absl::InternalError(absl::StrCat("could not run promtool: ", said.str()));
  }
  if (WEXITSTATUS(status) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("promtool check metrics exited ", WEXITSTATUS(status), ": ", said.str()));
  }
  return absl::OkStatus();
}

}  // namespace orderplatform::metrics::testing
