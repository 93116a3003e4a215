#!/usr/bin/env bash
# The test runner of op_cc_fuzz_test (bazel/defs.bzl).
#
#   run_fuzz_test.sh BINARY replay [CORPUS_FILE...]
#       gcc build: BINARY is linked with replay_main.cc and feeds its seeds, the corpus files and
#       their truncations and mutations to the target once each.
#   run_fuzz_test.sh BINARY fuzz SECONDS [CORPUS_FILE...]
#       --config=fuzz: BINARY is a libFuzzer binary; it fuzzes for SECONDS (OP_FUZZ_SECONDS in the
#       test environment overrides it) from a corpus in the test's temp dir that starts with the
#       built-in seeds and the corpus files. A crash input is kept in the test's undeclared
#       outputs (bazel-testlogs/.../test.outputs/crash-*): check it in as a corpus file.
set -euo pipefail

binary=$1
mode=$2
shift 2
case "$mode" in
  replay)
    exec "$binary" "$@"
    ;;
  fuzz)
    seconds=${OP_FUZZ_SECONDS:-$1}
    shift
    corpus="${TEST_TMPDIR:?}/corpus"
    mkdir -p "$corpus"
    for file in "$@"; do cp "$file" "$corpus/"; done
    artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-$TEST_TMPDIR}"
    mkdir -p "$artifacts"
    export OP_FUZZ_SEED_DIR="$corpus"
    # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak or a blow-up is a bug.
    exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus"
    ;;
  *)
    echo "run_fuzz_test.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
