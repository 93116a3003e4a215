#!/usr/bin/env bash
# Checks the Prometheus files of deploy/prometheus/ with Debian's promtool (package prometheus):
# the rules parse and their expressions are valid, the scrape configuration is valid, and the
# rule unit tests pass (each alert fires on its bad input and stays quiet on the good one).
set -euo pipefail

promtool=/usr/bin/promtool
if [[ ! -x "$promtool" ]]; then
  echo "$promtool is missing: run tools/setup.sh (package prometheus)" >&2
  exit 1
fi
# The runfiles tree holds the three files side by side, as deploy/prometheus does, so the
# relative rule_files paths resolve the same way.
cd "${TEST_SRCDIR}/${TEST_WORKSPACE}/deploy/prometheus"
export TMPDIR="${TEST_TMPDIR:-/tmp}"

"$promtool" check rules orderplatform.rules.yml
"$promtool" check config prometheus.yml
"$promtool" test rules orderplatform.rules_test.yml
