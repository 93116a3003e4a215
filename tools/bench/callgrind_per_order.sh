#!/usr/bin/env bash
# Instructions per completed order for each service (order, inventory, payment), counted by
# valgrind's callgrind: a figure that, unlike CPU time, does not depend on what else runs on the
# machine. `perf stat -e instructions` needs hardware counters, which this kind of VM lacks.
#
# What it runs, all on 127.0.0.1, in a temporary directory:
#   1. builds (-c opt) //tools/devbroker, the three services and //tools/loadgen;
#   2. redis-server (AOF, appendfsync always, as testenv and the bench), devbroker (1 broker,
#      3 partitions), then all three services, each under `valgrind --tool=callgrind`;
#   3. a warm-up: loadgen seeds stock and places WARMUP orders through Kafka and waits for all of
#      them (this also proves that every consumer group owns its partitions);
#   4. measurement windows, each bracketed by `callgrind_control -z` (zero the counters of all
#      three services) and `callgrind_control -d` (dump them), so start-up, warm-up and shutdown
#      are never counted:
#        idle        nothing placed, IDLE_S seconds (what the services cost per second when idle:
#                    consumers polling, the outbox relay, the expiry sweeper)
#        kafka-N     loadgen --mode=kafka --orders=N --rate=RATE, for every N in ORDERS
#        grpc-N      loadgen --mode=grpc  --orders=N --rate=RATE, for N = GRPC_ORDERS (0: skip)
#      each load window lasts until every order is terminal (OrderConfirmed/OrderCancelled);
#   5. SIGTERM to the services (each must exit 0), then prints and writes a summary.
#
# Per service and window: Ir (instructions executed, all threads of the service process, so the
# application's threads and librdkafka's, gRPC's and hiredis's code in them; not Redis, not the
# devbroker, not the load generator). Per order:
#   net  = (Ir(window) - idle Ir/s x window seconds) / completed orders
#   slope = (Ir(kafka-N2) - Ir(kafka-N1)) / (N2 - N1), first and last N of ORDERS; at a fixed rate
#           the larger run also lasts longer, so the slope still holds RATE orders' worth of idle
#           polling per second (reported gross and net of it).
# Kafka mode registers each order in the order service's Redis from the load generator (as
# PlaceOrder would), so the order service's Kafka figure leaves out PlaceOrder; the gRPC window
# includes it.
#
# Usage (from the repository root):
#   tools/bench/callgrind_per_order.sh
#   ORDERS="150 300" RATE=10 GRPC_ORDERS=0 tools/bench/callgrind_per_order.sh
#   BAZEL="bazel --output_base=/tmp/ob" BAZEL_FLAGS="--symlink_prefix=/" tools/bench/callgrind_per_order.sh
#
# Environment (defaults):
#   ORDERS="400 800"  Kafka-mode windows, orders each (two or more give a slope)
#   GRPC_ORDERS=400   gRPC-mode window, orders (0: none)
#   RATE=40           orders/s placed (fixed schedule). The figures depend on it (smaller rates
#                     mean smaller consumer batches and more instructions per order): compare
#                     runs at the same rate. Under callgrind the services run 20-50x slower; at
#                     40/s they still keep up on 2 cores (each window lasts orders/RATE + <1 s).
#   IDLE_S=30         idle window, seconds
#   WARMUP=20         warm-up orders (Kafka mode)
#   OUT_DIR=          where callgrind files, logs and summary.md go (default: a new /tmp dir, kept)
#   BAZEL=bazel       the bazel command, with startup options (e.g. --output_base)
#   BAZEL_FLAGS=      extra build options (e.g. --symlink_prefix=/)
#   SKIP_BUILD=0      1: use the binaries already built in bazel-bin (-c opt)
#   VALGRIND_FLAGS=   extra valgrind options for the services
# Needs valgrind (tools/setup.sh installs it), redis-server, awk.
#
# How long, after the build: ~10 s of start-up and warm-up, then IDLE_S and each window's
# orders/RATE plus its drain: about 2 minutes with the defaults on 2 shared cores.
set -euo pipefail

ORDERS=${ORDERS:-"400 800"}
GRPC_ORDERS=${GRPC_ORDERS:-400}
RATE=${RATE:-40}
IDLE_S=${IDLE_S:-30}
WARMUP=${WARMUP:-20}
BAZEL=${BAZEL:-bazel}
BAZEL_FLAGS=${BAZEL_FLAGS:-}
SKIP_BUILD=${SKIP_BUILD:-0}
VALGRIND_FLAGS=${VALGRIND_FLAGS:-}
OUT_DIR=${OUT_DIR:-$(mktemp -d /tmp/callgrind-per-order.XXXXXX)}
SERVICES=(order inventory payment)

say() { printf '[callgrind %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in valgrind callgrind_control callgrind_annotate redis-server awk; do
  command -v "$tool" >/dev/null || die "$tool not found (tools/setup.sh installs valgrind)"
done
[[ -f WORKSPACE ]] || die "run from the repository root"
mkdir -p "$OUT_DIR"
say "output in $OUT_DIR"

# ---- build ----
TARGETS=(//tools/devbroker:devbroker //services/order:order_service
         //services/inventory:inventory_service //services/payment:payment_service
         //tools/loadgen:loadgen)
# shellcheck disable=SC2086
if [[ "$SKIP_BUILD" != 1 ]]; then
  say "building ${TARGETS[*]} (-c opt)"
  $BAZEL build -c opt $BAZEL_FLAGS "${TARGETS[@]}" >"$OUT_DIR/build.log" 2>&1 ||
    { tail -20 "$OUT_DIR/build.log" >&2; die "build failed"; }
fi
# shellcheck disable=SC2086
BIN=$($BAZEL info -c opt $BAZEL_FLAGS bazel-bin 2>/dev/null)
DEVBROKER=$BIN/tools/devbroker/devbroker
LOADGEN=$BIN/tools/loadgen/loadgen
declare -A SERVICE_BIN=([order]=$BIN/services/order/order_service
                        [inventory]=$BIN/services/inventory/inventory_service
                        [payment]=$BIN/services/payment/payment_service)
for b in "$DEVBROKER" "$LOADGEN" "${SERVICE_BIN[@]}"; do [[ -x "$b" ]] || die "missing $b"; done

# ---- processes ----
PIDS=()  # everything started here, stopped on exit (services first, by SIGTERM)
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$port" 2>/dev/null | grep -q . || { echo "$port"; return; }
  done
}

# Waits until FILE has a line KEY=VALUE and prints VALUE.
wait_for_key() {
  local file=$1 key=$2 timeout_s=$3 pid=$4 i
  for ((i = 0; i < timeout_s * 10; i++)); do
    if grep -q "^$key=" "$file" 2>/dev/null; then
      grep -m1 "^$key=" "$file" | cut -d= -f2; return 0
    fi
    kill -0 "$pid" 2>/dev/null || { tail -20 "${file%.out}.err" >&2; die "$file: process exited"; }
    sleep 0.1
  done
  die "$file: no $key= after ${timeout_s}s"
}

REDIS_PORT=$(free_port)
mkdir -p "$OUT_DIR/redis"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$OUT_DIR/redis" --save '' \
  --appendonly yes --appendfsync always --daemonize no >"$OUT_DIR/redis.log" 2>&1 &
PIDS+=($!)
for ((i = 0; i < 100; i++)); do
  redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1
done
REDIS=127.0.0.1:$REDIS_PORT
say "redis-server on $REDIS (appendfsync always)"

"$DEVBROKER" --brokers=1 --partitions=3 >"$OUT_DIR/devbroker.out" 2>"$OUT_DIR/devbroker.err" &
PIDS+=($!)
KAFKA=$(wait_for_key "$OUT_DIR/devbroker.out" bootstrap 30 "${PIDS[-1]}")
say "devbroker on $KAFKA (1 broker, 3 partitions)"

ADMIN_TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export ADMIN_TOKEN
declare -A PID GRPC
for svc in "${SERVICES[@]}"; do
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --compress-strings=no --callgrind-out-file="$OUT_DIR/$svc.callgrind" \
    $VALGRIND_FLAGS \
    "${SERVICE_BIN[$svc]}" --kafka_brokers="$KAFKA" --redis="$REDIS" --grpc_port=0 \
    >"$OUT_DIR/$svc.out" 2>"$OUT_DIR/$svc.err" &
  PID[$svc]=$!
  PIDS=("${PID[$svc]}" "${PIDS[@]}")  # services stop first
done
for svc in "${SERVICES[@]}"; do
  GRPC[$svc]=$(wait_for_key "$OUT_DIR/$svc.out" grpc_port 300 "${PID[$svc]}")
  say "$svc service under callgrind, pid ${PID[$svc]}, gRPC port ${GRPC[$svc]}"
done

# loadgen MODE ORDERS LABEL [extra flags]: runs one load, prints completed orders.
loadgen() {
  local mode=$1 orders=$2 label=$3; shift 3
  "$LOADGEN" --mode="$mode" --orders="$orders" --rate="$RATE" --json --progress=false \
    --kafka_brokers="$KAFKA" --redis="$REDIS" \
    --order_addr=127.0.0.1:"${GRPC[order]}" --inventory_addr=127.0.0.1:"${GRPC[inventory]}" \
    --drain_timeout_s=600 "$@" >"$OUT_DIR/$label.json" 2>"$OUT_DIR/$label.loadgen.err" ||
    { cat "$OUT_DIR/$label.json" "$OUT_DIR/$label.loadgen.err" >&2; die "$label: loadgen failed"; }
  grep -o '"completed": [0-9]*' "$OUT_DIR/$label.json" | awk '{print $2}'
}

say "warm-up: seeding stock, $WARMUP orders through Kafka (waits for the consumer groups)"
completed=$(loadgen kafka "$WARMUP" warmup --stock=1000000000) || exit 1
say "warm-up: $completed of $WARMUP completed"

# ---- measurement windows ----
DUMPS=0
declare -A WIN_IR WIN_S WIN_N WIN_RK WIN_APP
# thread_split FILE: prints the Ir of librdkafka's own threads and of the threads the platform
# starts itself (std::thread: the consumer, the outbox relay, the expiry sweeper, ...), from the
# calls that start_thread makes (the rest is gRPC's threads and the main thread).
thread_split() {
  awk '/^fn=/ { in_start = ($0 ~ /^fn=start_thread/); cob = ""; next }
       in_start && /^cob=/ { cob = substr($0, 5); next }
       in_start && /^cfn=/ { cfn = substr($0, 5); next }
       in_start && /^calls=/ {
         getline
         if (cfn !~ /^start_thread/) {
           if (cob ~ /librdkafka/) rk += $2; else if (cob ~ /libstdc\+\+/) app += $2
         }
         cob = ""; next
       }
       END { printf "%.0f %.0f\n", rk, app }' "$1"
}
zero_all() {
  local svc
  for svc in "${SERVICES[@]}"; do callgrind_control -z "${PID[$svc]}" >/dev/null; done
}
# dump_all LABEL: dumps every service's counters and records their Ir under LABEL.
dump_all() {
  local label=$1 svc file
  DUMPS=$((DUMPS + 1))
  for svc in "${SERVICES[@]}"; do
    callgrind_control --dump="$label" "${PID[$svc]}" >/dev/null
    file="$OUT_DIR/$svc.callgrind.$DUMPS"
    for ((i = 0; i < 600; i++)); do
      grep -qs '^totals:' "$file" && break
      sleep 0.1
    done
    grep -qs '^totals:' "$file" || die "no dump $file"
    ln -sf "$(basename "$file")" "$OUT_DIR/$svc.$label.callgrind"
    WIN_IR[$svc,$label]=$(awk '/^totals:/ {print $2; exit}' "$file")
    read -r "WIN_RK[$svc,$label]" "WIN_APP[$svc,$label]" < <(thread_split "$file")
  done
}
# window LABEL ORDERS COMMAND...: zero, run, dump; records duration and completed orders.
window() {
  local label=$1 orders=$2; shift 2
  local t0 t1 completed
  zero_all
  t0=$(date +%s.%N)
  if [[ "$1" == idle ]]; then sleep "$IDLE_S"; completed=0; else completed=$("$@") || exit 1; fi
  [[ "$completed" =~ ^[0-9]+$ ]] || die "$label: no completed count"
  t1=$(date +%s.%N)
  dump_all "$label"
  WIN_S[$label]=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  WIN_N[$label]=$completed
  say "$label: $completed of $orders orders completed in ${WIN_S[$label]} s;" \
    "Ir order ${WIN_IR[order,$label]} inventory ${WIN_IR[inventory,$label]}" \
    "payment ${WIN_IR[payment,$label]}"
}

LABELS=(idle)
window idle 0 idle
for n in $ORDERS; do
  window "kafka-$n" "$n" loadgen kafka "$n" "kafka-$n"; LABELS+=("kafka-$n")
done
if ((GRPC_ORDERS > 0)); then
  window "grpc-$GRPC_ORDERS" "$GRPC_ORDERS" loadgen grpc "$GRPC_ORDERS" "grpc-$GRPC_ORDERS"
  LABELS+=("grpc-$GRPC_ORDERS")
fi

# ---- stop the services: SIGTERM, each must exit 0 ----
for svc in "${SERVICES[@]}"; do kill -TERM "${PID[$svc]}"; done
for svc in "${SERVICES[@]}"; do
  rc=0; wait "${PID[$svc]}" || rc=$?
  ((rc == 0)) || { tail -5 "$OUT_DIR/$svc.err" >&2; die "$svc exited $rc"; }
done
say "services stopped (exit 0)"

# ---- figures ----
read -r -a KN <<<"$ORDERS"
FIRST=kafka-${KN[0]}; LAST=kafka-${KN[-1]}
SUMMARY=$OUT_DIR/summary.md
{
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`tools/bench/callgrind_per_order.sh\`" \
    "(ORDERS=\"$ORDERS\" GRPC_ORDERS=$GRPC_ORDERS RATE=$RATE IDLE_S=$IDLE_S);" \
    "$(valgrind --version), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "Ir per window (in parentheses: librdkafka's own threads / the platform's std::threads)."
  echo
  echo "| window | orders completed | seconds | Ir order | Ir inventory | Ir payment |"
  echo "|---|---|---|---|---|---|"
  for l in "${LABELS[@]}"; do
    out="| $l | ${WIN_N[$l]} | ${WIN_S[$l]} |"
    for svc in "${SERVICES[@]}"; do
      out+=" ${WIN_IR[$svc,$l]} (${WIN_RK[$svc,$l]} / ${WIN_APP[$svc,$l]}) |"
    done
    echo "$out"
  done
  echo
  echo "| instructions per completed order | order | inventory | payment |"
  echo "|---|---|---|---|"
  idle_rate() { awk -v ir="${WIN_IR[$1,idle]}" -v s="${WIN_S[idle]}" 'BEGIN {print ir / s}'; }
  row() { # row TEXT EXPR-PER-SERVICE
    local svc out="| $1 |"
    for svc in "${SERVICES[@]}"; do out+=" $($2 "$svc") |"; done
    echo "$out"
  }
  idle_per_s() { awk -v r="$(idle_rate "$1")" 'BEGIN {printf "%.0f", r}'; }
  row "idle, Ir per second (subtracted below)" idle_per_s
  for l in "${LABELS[@]:1}"; do
    gross() { awk -v ir="${WIN_IR[$1,$l]}" -v n="${WIN_N[$l]}" 'BEGIN {printf "%.0f", ir / n}'; }
    net() {
      awk -v ir="${WIN_IR[$1,$l]}" -v n="${WIN_N[$l]}" -v s="${WIN_S[$l]}" -v r="$(idle_rate "$1")" \
        'BEGIN {printf "%.0f", (ir - r * s) / n}'
    }
    net_rk() {
      awk -v ir="${WIN_RK[$1,$l]}" -v n="${WIN_N[$l]}" -v s="${WIN_S[$l]}" \
        -v i="${WIN_RK[$1,idle]}" -v is="${WIN_S[idle]}" 'BEGIN {printf "%.0f", (ir - i / is * s) / n}'
    }
    net_app() {
      awk -v ir="${WIN_APP[$1,$l]}" -v n="${WIN_N[$l]}" -v s="${WIN_S[$l]}" \
        -v i="${WIN_APP[$1,idle]}" -v is="${WIN_S[idle]}" 'BEGIN {printf "%.0f", (ir - i / is * s) / n}'
    }
    row "$l, gross (window Ir / orders)" gross
    row "$l, **net of idle** (Ir - idle Ir/s x seconds) / orders" net
    row "$l, net: of which librdkafka's own threads" net_rk
    row "$l, net: of which the platform's std::threads" net_app
  done
  if [[ "$FIRST" != "$LAST" ]]; then
    slope() {
      awk -v a="${WIN_IR[$1,$FIRST]}" -v b="${WIN_IR[$1,$LAST]}" -v na="${WIN_N[$FIRST]}" \
        -v nb="${WIN_N[$LAST]}" 'BEGIN {printf "%.0f", (b - a) / (nb - na)}'
    }
    slope_net() {
      awk -v a="${WIN_IR[$1,$FIRST]}" -v b="${WIN_IR[$1,$LAST]}" -v na="${WIN_N[$FIRST]}" \
        -v nb="${WIN_N[$LAST]}" -v sa="${WIN_S[$FIRST]}" -v sb="${WIN_S[$LAST]}" \
        -v r="$(idle_rate "$1")" 'BEGIN {printf "%.0f", ((b - r * sb) - (a - r * sa)) / (nb - na)}'
    }
    row "kafka slope $FIRST -> $LAST, gross" slope
    row "kafka slope $FIRST -> $LAST, net of idle" slope_net
  fi
} >"$SUMMARY"

# Top functions of the largest Kafka window and of the gRPC window, inclusive and self.
for svc in "${SERVICES[@]}"; do
  for l in "$LAST" "${LABELS[@]:$((${#KN[@]} + 1))}"; do
    # A call that began before the counters were zeroed (a thread's start, a blocking poll) is
    # dumped as `calls=0`, and callgrind_annotate 3.19 then books its whole inclusive cost as the
    # caller's self cost (everything lands in `clone`); count such calls once instead.
    f="$OUT_DIR/$svc.$l.annotate.callgrind"
    sed 's/^calls=0 /calls=1 /' "$OUT_DIR/$svc.$l.callgrind" >"$f"
    callgrind_annotate --inclusive=yes --threshold=99 "$f" 2>/dev/null | head -80 \
      >"$OUT_DIR/$svc.$l.inclusive.txt" || true
    callgrind_annotate --inclusive=no --threshold=99 "$f" 2>/dev/null | head -80 \
      >"$OUT_DIR/$svc.$l.self.txt" || true
  done
done

cat "$SUMMARY"
say "summary: $SUMMARY; callgrind files: $OUT_DIR/<service>.<window>.callgrind;" \
  "top functions: $OUT_DIR/<service>.<window>.{inclusive,self}.txt"
