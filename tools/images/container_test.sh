#!/usr/bin/env bash
# The three service images in one podman pod with a devbroker container and a Redis container
# (devbroker listens on loopback only, so everything shares the pod's network). Places orders
# through the order container's published port and checks: a CONFIRMED order, a payment-declined
# CANCELLED one, a saga that finishes after kill -9 and restart of the inventory container, and
# exit 0 of each service container on SIGTERM. Cleans up on any exit.
#
# Runs outside Bazel's sandbox (podman cannot run inside it): .ci/run calls it after the tests.
#   tools/images/container_test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf 'container_test: %s\n' "$*"; }
fail() { printf 'container_test: FAILED: %s\n' "$*" >&2; dump_logs; exit 1; }

pod="op-ctest-$$"
shared=$(mktemp -d)
chmod 0777 "$shared"
token=$(openssl rand -hex 16)  # services refuse tokens under 16 characters

dump_logs() {
  for c in redis kafka inventory payment order; do
    echo "---- $c (last lines)" >&2
    podman logs --tail 15 "$pod-$c" >&2 2>/dev/null || true
  done
}
cleanup() {
  podman pod rm -f "$pod" >/dev/null 2>&1 || true
  rm -rf "$shared"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

tools/images/build_images.sh --test-images
orderctl="$(bazel info -c opt bazel-bin 2>/dev/null)/tools/orderctl/orderctl"

order_port=$(free_port)
log "pod $pod, order gRPC published on 127.0.0.1:$order_port"
podman pod create --name "$pod" -p "127.0.0.1:$order_port:50051" >/dev/null

podman run -d --pod "$pod" --name "$pod-redis" localhost/orderplatform/redis:latest \
  --port 6379 --bind 127.0.0.1 --dir /data --save '' --appendonly yes --appendfsync always \
  --protected-mode no >/dev/null
podman run -d --pod "$pod" --name "$pod-kafka" -v "$shared:/run/op" \
  localhost/orderplatform/devbroker:latest --brokers=1 --partitions=3 \
  --bootstrap_file=/run/op/bootstrap >/dev/null
for _ in $(seq 1 100); do [[ -s "$shared/bootstrap" ]] && break; sleep 0.1; done
[[ -s "$shared/bootstrap" ]] || fail "devbroker wrote no bootstrap file"
brokers=$(cat "$shared/bootstrap")
log "devbroker at $brokers"

start_service() {
  local name=$1 port=$2
  podman run -d --pod "$pod" --name "$pod-$name" \
    -e KAFKA_BROKERS="$brokers" -e REDIS_ADDR=127.0.0.1:6379 -e GRPC_PORT="$port" \
    -e ADMIN_TOKEN="$token" \
    --health-cmd "[\"/usr/local/bin/health_probe\",\"--addr=127.0.0.1:$port\"]" \
    --health-interval=disable \
    "localhost/orderplatform/$name:latest" >/dev/null
}
wait_healthy() {
  local name=$1
  for _ in $(seq 1 120); do
    podman healthcheck run "$pod-$name" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  fail "$name never became healthy"
}
start_service inventory 50052
start_service payment 50053
start_service order 50051
for s in inventory payment order; do wait_healthy "$s"; done
log "all three services healthy"

# Clients use the published order port from the host; admin calls (stock, payment behaviour)
# go to ports that are not published, through the orderctl that the order image carries.
ctl() { "$orderctl" --order_addr="127.0.0.1:$order_port" "$@"; }
pod_ctl() { podman exec -e ADMIN_TOKEN="$token" "$pod-order" /usr/local/bin/orderctl "$@"; }

pod_ctl stock set LAMP 10 || fail "stock set"
pod_ctl payment behavior --decline_customers=mallory || fail "payment behavior"

await() {
  local order_id=$1 expected=$2
  local out
  out=$(ctl --timeout_ms=60000 watch "$order_id" | tail -1) || fail "watch $order_id"
  [[ "$out" == *" $expected"* ]] || fail "$order_id ended as '$out', expected $expected"
  log "$order_id -> $expected"
}

happy=$(ctl place --request_id="ctest-happy-$$" --customer=alice LAMP:2 | awk '{print $1}')
await "$happy" CONFIRMED
declined=$(ctl place --request_id="ctest-declined-$$" --customer=mallory LAMP:1 | awk '{print $1}')
await "$declined" "CANCELLED(PAYMENT_DECLINED)"

log "kill -9 of the inventory container mid-saga"
podman kill -s KILL "$pod-inventory" >/dev/null
survivor=$(ctl place --request_id="ctest-kill9-$$" --customer=alice LAMP:1 | awk '{print $1}')
podman start "$pod-inventory" >/dev/null
wait_healthy inventory
await "$survivor" CONFIRMED

stock=$(pod_ctl stock get LAMP)
[[ "$stock" == "LAMP available=7 reserved=0 sold=3" ]] || fail "stock after the stories: $stock"
log "stock: $stock"

for s in order payment inventory; do
  podman stop -t 30 "$pod-$s" >/dev/null
  code=$(podman inspect --format '{{.State.ExitCode}}' "$pod-$s")
  [[ "$code" == 0 ]] || fail "$s exited $code on SIGTERM"
  log "$s exited 0 on SIGTERM"
done
log "PASSED"
