#!/usr/bin/env bash
# Installs every Debian package that the build, the tests, the demo and the containers need.
#
# Idempotent and fast when everything is present: it asks dpkg first and only calls apt-get when
# something is missing. Works as root or through sudo. Debian bookworm.
set -euo pipefail

PACKAGES=(
  # Build: Bazel 4 (Debian's bootstrap build), compilers, pkg-config.
  bazel-bootstrap bazel-rules-java g++ clang libclang-rt-14-dev pkg-config
  # Libraries the services link against.
  librdkafka-dev libhiredis-dev libgrpc++-dev libgrpc-dev libprotobuf-dev
  protobuf-compiler protobuf-compiler-grpc libabsl-dev libgtest-dev libgmock-dev
  # Servers and tools the tests and the demo start.
  redis-server redis-tools
  # Test-only TLS certificates are made at test time (platform/grpc/testing).
  openssl
  # Containers (images built offline, run with podman on runc).
  podman buildah runc catatonit umoci skopeo ca-certificates
  # Metrics and docs tooling.
  prometheus libcpp-httplib-dev graphviz
  # Instructions per order (tools/bench/callgrind_per_order.sh): no hardware counters for perf.
  valgrind
)

if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo); fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian redis-server package starts a system instance on 6379; the project never uses it
# (tests and the demo start their own on free ports), so leaving it running is harmless.

# podman here must use runc (crun fails on this kind of machine) and must not set ulimits that the
# sandbox refuses.
containers_conf=/etc/containers/containers.conf
if ! grep -qs '^runtime *= *"runc"' "$containers_conf"; then
  "${SUDO[@]}" mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n' |
    "${SUDO[@]}" tee "$containers_conf" >/dev/null
fi

echo "setup: all packages present"
