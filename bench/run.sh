#!/usr/bin/env bash
# Compares Damselfly with redis-server on this machine: throughput of common
# commands with redis-benchmark, and resident memory per key after loading
# keys with redis-cli --pipe. Both servers run on 127.0.0.1 with persistence
# off. Run `bash bench/run.sh --help` for the options.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
requests=100000
clients=50
keyspace=100000
memory_keys=1000000
pin=true

usage() {
  cat <<'EOF'
Usage: bash bench/run.sh [options]   (or: npm run bench -- [options])

  --quick           short run: 1 round, 20000 requests, 100000 keys in the memory test
  --rounds N        rounds per workload; servers alternate which runs first (default 3)
  --requests N      requests per redis-benchmark run; pipelined runs send 10 times as
                    many (default 100000)
  --clients N       parallel redis-benchmark connections (default 50)
  --keyspace N      distinct keys for SET, GET and INCR (redis-benchmark -r; default 100000)
  --memory-keys N   keys loaded in the memory test (default 1000000)
  --no-pin          do not pin the server to CPU 0 and redis-benchmark to CPU 1
EOF
}

while (($# > 0)); do
  case $1 in
    --quick) rounds=1 requests=20000 memory_keys=100000 ;;
    --rounds) rounds=$2 && shift ;;
    --requests) requests=$2 && shift ;;
    --clients) clients=$2 && shift ;;
    --keyspace) keyspace=$2 && shift ;;
    --memory-keys) memory_keys=$2 && shift ;;
    --no-pin) pin=false ;;
    -h | --help) usage && exit 0 ;;
    *) echo "unknown option: $1" >&2 && usage >&2 && exit 2 ;;
  esac
  shift
done

for tool in node redis-server redis-cli redis-benchmark; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool not found. Install it first (apt-get install redis-server redis-tools)." >&2
    exit 1
  fi
done

# With two or more cores, the server and the load generator get a core each,
# so they do not compete for CPU time and runs are more repeatable.
pin_server=""
pin_client=""
if $pin && command -v taskset >/dev/null && (($(nproc) >= 2)); then
  pin_server="taskset -c 0"
  pin_client="taskset -c 1"
fi

work_dir=$(mktemp -d -t damselfly-bench-XXXXXX)
# shellcheck source=bench/servers.sh
source bench/servers.sh
trap 'stop_all_servers; rm -rf "$work_dir"' EXIT

# Each entry: label|redis-benchmark test|pipeline depth.
workloads=(
  "SET|set|1"
  "GET|get|1"
  "SET -P 16|set|16"
  "GET -P 16|get|16"
  "INCR|incr|1"
  "LPUSH|lpush|1"
  "LPOP|lpop|1"
  "SADD|sadd|1"
  "HSET|hset|1"
  "ZADD|zadd|1"
  "LRANGE_100|lrange_100|1"
  "MSET|mset|1"
)

# Runs FLUSHALL, then stores $keyspace keys so that every GET finds its key.
prefill() {
  local port=$1
  redis-cli -p "$port" flushall >/dev/null
  node bench/set-commands.js "$keyspace" fixed3 | redis-cli -p "$port" --pipe >/dev/null
}

# Runs one workload and prints its requests per second. On failure it
# prints redis-benchmark's output to stderr and returns 1.
run_workload() {
  local port=$1 test_name=$2 pipeline=$3
  local count=$((pipeline > 1 ? requests * 10 : requests))
  local csv_name
  csv_name=$(echo "$test_name" | tr '[:lower:]' '[:upper:]')

  local output=$work_dir/redis-benchmark.out
  if ! $pin_client redis-benchmark -h 127.0.0.1 -p "$port" -q --csv -c "$clients" \
    -n "$count" -r "$keyspace" -P "$pipeline" -t "$test_name" >"$output" 2>&1; then
    cat "$output" >&2
    return 1
  fi

  awk -F'","' -v name="$csv_name" '
    { gsub(/^"|"$/, "", $1) }
    $1 == name || index($1, name " (") == 1 { print $2; found = 1 }
    END { if (!found) exit 1 }' "$output"
}

run_throughput() {
  local results=$1
  local damselfly_port redis_port round order entry kind port label test_name pipeline rps

  start_server damselfly
  damselfly_port=$server_port
  start_server redis
  redis_port=$server_port

  for ((round = 1; round <= rounds; round++)); do
    # Odd rounds run Damselfly first and even rounds Redis, so warm-up and
    # drift in the machine's speed do not favour one server.
    order=(damselfly redis)
    if ((round % 2 == 0)); then order=(redis damselfly); fi
    echo "round $round of $rounds (${order[0]} first)"

    prefill "$damselfly_port"
    prefill "$redis_port"
    for entry in "${workloads[@]}"; do
      IFS='|' read -r label test_name pipeline <<<"$entry"
      for kind in "${order[@]}"; do
        port=$damselfly_port
        if [[ $kind == redis ]]; then port=$redis_port; fi
        if ! rps=$(run_workload "$port" "$test_name" "$pipeline"); then
          echo "$label on $kind failed; its result is left out" >&2
          rps=failed
        fi
        printf '%s\t%s\t%s\n' "$label" "$kind" "$rps" >>"$results"
      done
    done
  done

  stop_all_servers
}

# Loads memory_keys keys into a fresh server and records its RSS before and after.
measure_memory() {
  local kind=$1 input=$2 results=$3
  local before after reply

  start_server "$kind"
  sleep 1
  before=$(rss_kb "$server_pid")

  # redis-cli --pipe ends with "errors: E, replies: R", and every SET must
  # get a reply that is not an error.
  reply=$(redis-cli -p "$server_port" --pipe <"$input")
  if ! grep -q "errors: 0, replies: $memory_keys\$" <<<"$reply"; then
    echo "loading $memory_keys keys into $kind failed: $reply" >&2
    exit 1
  fi

  # Gives background work after the load (such as a GC pass) time to settle.
  # NOTE: RSS also counts garbage the V8 collector has not returned to the
  # operating system yet, so Damselfly's figure is an upper bound.
  sleep 2
  after=$(rss_kb "$server_pid")
  printf '%s\t%s\t%s\t%s\n' "$kind" "$memory_keys" "$before" "$after" >>"$results"
  stop_server "$server_pid"
}

echo "Building"
npm run build --silent

echo "Machine: $(nproc) cores, node $(node --version), $(redis-server --version | cut -d' ' -f1-3)"
pinning="server on CPU 0, redis-benchmark on CPU 1"
if [[ -z $pin_server ]]; then pinning="off"; fi
echo "Settings: $rounds rounds, $requests requests ($((requests * 10)) pipelined)," \
  "$clients clients, keyspace $keyspace, pinning: $pinning"
echo

throughput_file=$work_dir/throughput.tsv
run_throughput "$throughput_file"
echo
echo "Throughput: median requests per second over $rounds rounds"
node bench/report.js throughput "$throughput_file"

echo
echo "Memory: $memory_keys keys (key:%012d, 10-byte values) loaded with redis-cli --pipe"
memory_input=$work_dir/memory-input.resp
node bench/set-commands.js "$memory_keys" numbered10 >"$memory_input"
memory_file=$work_dir/memory.tsv
measure_memory damselfly "$memory_input" "$memory_file"
measure_memory redis "$memory_input" "$memory_file"
node bench/report.js memory "$memory_file"
