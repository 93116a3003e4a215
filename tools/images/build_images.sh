#!/usr/bin/env bash
# Builds the platform's OCI images offline: no base image is pulled (none can be here). Each image
# is a minimal root filesystem holding one Bazel-built binary (-c opt, stripped), exactly the
# shared libraries `ldd` says it needs, the dynamic loader, CA certificates, a non-root user
# (10001) and the gRPC health probe; `podman import` turns the tarball into an image.
#
#   tools/images/build_images.sh                 # order, inventory, payment
#   tools/images/build_images.sh --test-images   # also devbroker and redis, for the pod test
#
# Images: localhost/orderplatform/<name>:latest. Prints each image's size.
set -euo pipefail
cd "$(dirname "$0")/../.."

test_images=false
[[ "${1:-}" == "--test-images" ]] && test_images=true

# The git revision becomes the version label of orderplatform_build_info. Only the one file that
# reads it is compiled with the define, so every other action stays cached.
version=$(git describe --always --dirty 2>/dev/null || echo unknown)
bazel build -c opt --symlink_prefix=/ \
  "--per_file_copt=platform/service/service_metrics.cc@-DOP_BUILD_VERSION=\"$version\"" \
  //services/order:order_service //services/inventory:inventory_service \
  //services/payment:payment_service //tools/health_probe //tools/devbroker \
  //tools/orderctl >&2
bin=$(bazel info -c opt bazel-bin 2>/dev/null)

extra_binaries=()
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Copies `file` and every library it loads into `root`, at the same paths.
install_with_libs() {
  local root=$1 file=$2 dest=$3
  install -D -m 0755 "$file" "$root$dest"
  strip --strip-unneeded "$root$dest" 2>/dev/null || true
  ldd "$file" | awk '/=> \//{print $3} /^\t\/lib/{print $1}' | while read -r lib; do
    [[ -e "$root$lib" ]] && continue
    # 0755: the dynamic loader must be executable (the kernel execs it), libraries may be.
    install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
  done
}

# A root filesystem with the runtime basics every image needs.
make_root() {
  local root=$1
  mkdir -p "$root"/{etc/ssl/certs,tmp,data,usr/local/bin}
  chmod 0755 "$root"  # mktemp made it 0700: the non-root user could not even reach /usr
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:10001:10001:orderplatform:/nonexistent:/usr/sbin/nologin\n' \
    > "$root/etc/passwd"
  printf 'root:x:0:\napp:x:10001:\n' > "$root/etc/group"
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  chown 10001:10001 "$root/data"
  install_with_libs "$root" "$bin/tools/health_probe/health_probe" /usr/local/bin/health_probe
}

# build_image NAME BINARY ENTRYPOINT_JSON [--change ...]
build_image() {
  local name=$1 binary=$2 entrypoint=$3
  shift 3
  local root="$work/$name"
  make_root "$root"
  install_with_libs "$root" "$binary" "/usr/local/bin/$(basename "$binary")"
  for extra in "${extra_binaries[@]}"; do
    install_with_libs "$root" "$extra" "/usr/local/bin/$(basename "$extra")"
  done
  tar --numeric-owner -C "$root" -cf "$work/$name.tar" .
  podman import --quiet \
    --change "USER 10001:10001" \
    --change "WORKDIR /data" \
    --change "ENTRYPOINT $entrypoint" \
    --change "STOPSIGNAL SIGTERM" \
    "$@" "$work/$name.tar" "localhost/orderplatform/$name:latest" >/dev/null
  local size
  size=$(podman image inspect --format '{{.Size}}' "localhost/orderplatform/$name:latest")
  printf '%-10s localhost/orderplatform/%s:latest  %s MB\n' "$name" "$name" \
    "$(awk -v s="$size" 'BEGIN{printf "%.1f", s/1000000}')"
}

# The order image also carries orderctl, for operators: podman exec <order> orderctl get ID.
extra_binaries=("$bin/tools/orderctl/orderctl")
# Each service also serves Prometheus /metrics (docs/OPERATIONS.md) on a port of its own, so the
# three can share one network namespace (the pod of container_test.sh); METRICS_PORT=-1 at run
# time turns it off.
build_image order "$bin/services/order/order_service" '["/usr/local/bin/order_service"]' \
  --change "ENV GRPC_PORT=50051" --change "EXPOSE 50051" \
  --change "ENV METRICS_PORT=9461" --change "EXPOSE 9461"
extra_binaries=()
build_image inventory "$bin/services/inventory/inventory_service" \
  '["/usr/local/bin/inventory_service"]' --change "ENV GRPC_PORT=50052" --change "EXPOSE 50052" \
  --change "ENV METRICS_PORT=9462" --change "EXPOSE 9462"
build_image payment "$bin/services/payment/payment_service" '["/usr/local/bin/payment_service"]' \
  --change "ENV GRPC_PORT=50053" --change "EXPOSE 50053" \
  --change "ENV METRICS_PORT=9463" --change "EXPOSE 9463"

if $test_images; then
  build_image devbroker "$bin/tools/devbroker/devbroker" '["/usr/local/bin/devbroker"]'
  build_image redis /usr/bin/redis-server '["/usr/local/bin/redis-server"]'
fi
