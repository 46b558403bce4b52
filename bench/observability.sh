#!/usr/bin/env bash
# Measures what the operations features cost:
#   1. GET and SET throughput while INFO is polled and /metrics scraped once a
#      second, against the same runs without them (rounds alternate).
#   2. SET-only throughput at the memory limit with allkeys-lru (maxmemory
#      50mb, 1,000,000 random keys, 100-byte values), Damselfly against
#      redis-server with the same settings.
# Servers run on 127.0.0.1 with persistence off; the server is pinned to CPU 0
# and redis-benchmark to CPU 1 when taskset exists. Prints one line per run
# and a summary. Usage: bash bench/observability.sh [rounds] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-3}
requests=${2:-300000}
port=${BENCH_PORT:-8291}
metrics_port=${BENCH_METRICS_PORT:-8292}
redis_port=${BENCH_REDIS_PORT:-8293}
password=bench-secret

server_cpu=()
client_cpu=()
if command -v taskset >/dev/null && (($(nproc) >= 2)); then
  server_cpu=(taskset -c 0)
  client_cpu=(taskset -c 1)
fi

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_for_port() {
  for _ in $(seq 100); do
    redis-cli -p "$1" -a "$password" --no-auth-warning ping >/dev/null 2>&1 && return
    redis-cli -p "$1" ping >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  exit 1
}

# Prints the requests per second of one redis-benchmark run.
throughput() {
  "${client_cpu[@]}" redis-benchmark "$@" 2>&1 | awk '/throughput summary/ {print $3}'
}

# Polls INFO and scrapes /metrics once a second until killed.
poll() {
  while true; do
    redis-cli -p "$port" -a "$password" --no-auth-warning INFO >/dev/null
    curl -s -u "default:$password" "http://127.0.0.1:$metrics_port/metrics" >/dev/null
    sleep 1
  done
}

median() {
  sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}

echo "== GET and SET with and without monitoring ($rounds rounds, $requests requests)"
"${server_cpu[@]}" node dist/src/main.js --port "$port" --save "" --requirepass "$password" \
  --metrics-port "$metrics_port" --loglevel warning >/dev/null 2>&1 &
pids+=($!)
wait_for_port "$port"
bench=(-p "$port" -a "$password" -n "$requests" -r 100000 -d 100)
throughput "${bench[@]}" -t set >/dev/null
declare -A results=()
for round in $(seq "$rounds"); do
  for mode in plain polled; do
    poller=
    if [[ $mode == polled ]]; then
      poll &
      poller=$!
    fi
    for command in get set; do
      value=$(throughput "${bench[@]}" -t "$command")
      echo "round $round $mode $command $value"
      results[$mode-$command]+="$value "
    done
    if [[ -n $poller ]]; then kill "$poller"; fi
  done
done
for command in get set; do
  plain=$(echo "${results[plain-$command]}" | tr ' ' '\n' | grep . | median)
  polled=$(echo "${results[polled-$command]}" | tr ' ' '\n' | grep . | median)
  ratio=$(awk -v a="$polled" -v b="$plain" 'BEGIN {printf "%.3f", a / b}')
  echo "$command median: plain $plain, polled $polled, ratio $ratio"
done

# Throughput pairs swing by several percent on a shared machine, so the cost of
# polling is also measured directly: the server CPU time that 200 INFO calls
# and 200 /metrics scrapes take, with 100,000 keys loaded.
echo "== server CPU time of one INFO call plus one /metrics scrape"
server_pid=$(pgrep -f "main.js --port $port " | head -1)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
redis-cli -p "$port" -a "$password" --no-auth-warning DEBUG POPULATE 100000 >/dev/null
before=$(cpu_ticks)
for _ in $(seq 200); do
  redis-cli -p "$port" -a "$password" --no-auth-warning INFO >/dev/null
  curl -s -u "default:$password" "http://127.0.0.1:$metrics_port/metrics" >/dev/null
done
after=$(cpu_ticks)
awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
  ms = ticks * 1000 / hz / 200
  printf "%.2f ms per poll, %.2f%% of one core when polled once a second\n", ms, ms / 10
}'
cleanup
pids=()

echo "== SET at maxmemory 50mb with allkeys-lru"
lru_bench() {
  local target=$1
  throughput -p "$target" -t set -n 1000000 -r 1000000 -d 100 >/dev/null
  throughput -p "$target" -t set -n "$requests" -r 1000000 -d 100
}
"${server_cpu[@]}" node dist/src/main.js --port "$port" --save "" --maxmemory 50mb \
  --maxmemory-policy allkeys-lru --loglevel warning >/dev/null 2>&1 &
pids+=($!)
wait_for_port "$port"
ours=$(lru_bench "$port")
evicted=$(redis-cli -p "$port" INFO stats | awk -F: '/^evicted_keys/ {print $2}' | tr -d '\r')
cleanup
pids=()
"${server_cpu[@]}" redis-server --port "$redis_port" --save "" --appendonly no \
  --maxmemory 50mb --maxmemory-policy allkeys-lru --loglevel warning >/dev/null 2>&1 &
pids+=($!)
wait_for_port "$redis_port"
theirs=$(lru_bench "$redis_port")
their_evicted=$(redis-cli -p "$redis_port" INFO stats | awk -F: '/^evicted_keys/ {print $2}' | tr -d '\r')
ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.3f", a / b}')
echo "damselfly $ours req/s ($evicted evicted), redis-server $theirs req/s ($their_evicted evicted)"
echo "ratio $ratio"
