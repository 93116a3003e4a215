#!/bin/bash
# Renders every docs/diagrams/*.dot to its .svg with Graphviz (`dot -Tsvg`), or, with --check,
# fails when a committed .svg differs from what its .dot renders to (a source edited without
# re-rendering). `bazel test //docs/diagrams:diagrams_up_to_date_test` runs the check.
#
#   docs/diagrams/render.sh            # after editing a .dot
#   docs/diagrams/render.sh --check    # exit 1 and name the stale SVGs
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check=false
[[ "${1:-}" == "--check" ]] && check=true
command -v dot >/dev/null || { echo "render.sh: Graphviz 'dot' is not installed (tools/setup.sh)" >&2; exit 1; }

stale=()
for source in "${dir}"/*.dot; do
  svg="${source%.dot}.svg"
  if "${check}"; then
    if ! dot -Tsvg "${source}" | cmp -s - "${svg}"; then stale+=("$(basename "${svg}")"); fi
  else
    dot -Tsvg "${source}" -o "${svg}"
  fi
done
if (( ${#stale[@]} > 0 )); then
  echo "render.sh: out of date (run docs/diagrams/render.sh): ${stale[*]}" >&2
  exit 1
fi
