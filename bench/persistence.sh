#!/usr/bin/env bash
# Compares the persistence of Damselfly with redis-server on this machine:
# SAVE and BGSAVE time, snapshot load time, GET latency and memory while a
# BGSAVE runs, and SET throughput with the append-only file. Both servers get
# the same data, loaded with redis-cli --pipe, and only one server runs at a
# time. Run `bash bench/persistence.sh --help` for the options.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
keys=1000000
collections=2000
get_requests=200000
aof_requests=100000
clients=50
port_range=""
pin=true
build=true
results_copy=""
aof=true

usage() {
  cat <<'EOF'
Usage: bash bench/persistence.sh [options]   (or: npm run bench:persistence -- [options])

  --quick              short run: 1 round, 300000 keys, 750 collections of each type,
                       50000 GET requests, 20000 SET requests
  --rounds N           rounds; servers alternate which runs first (default 3)
  --keys N             string keys key:%012d with 10-byte values (default 1000000)
  --collections N      hashes, lists, sets and sorted sets of 100 elements, N of each
                       type (default 2000)
  --get-requests N     requests per GET latency run (default 200000)
  --aof-requests N     requests per SET run with the append-only file; pipelined runs
                       send 10 times as many (default 100000)
  --ports FIRST-LAST   start servers only on free ports in this range (default: any
                       free port)
  --no-pin             do not pin the server to CPU 0 and the clients to CPU 1
  --no-build           use dist/ as it is instead of running npm run build
  --results FILE       also copy the raw measurements to FILE (lines: round, server,
                       measurement, value; bench/persistence-report.js reads them)
  --no-aof             skip the SET runs with the append-only file
EOF
}

while (($# > 0)); do
  case $1 in
    --quick) rounds=1 keys=300000 collections=750 get_requests=50000 aof_requests=20000 ;;
    --rounds) rounds=$2 && shift ;;
    --keys) keys=$2 && shift ;;
    --collections) collections=$2 && shift ;;
    --get-requests) get_requests=$2 && shift ;;
    --aof-requests) aof_requests=$2 && shift ;;
    --ports) port_range=$2 && shift ;;
    --no-pin) pin=false ;;
    --no-build) build=false ;;
    --results) results_copy=$2 && shift ;;
    --no-aof) aof=false ;;
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

# With two or more cores, the server gets CPU 0 and every client CPU 1. A
# server's helpers inherit its CPU: Redis's forked save child and Node's
# thread pool also run on CPU 0, so each server has one core in total.
pin_server=""
pin_client=""
if $pin && command -v taskset >/dev/null && (($(nproc) >= 2)); then
  pin_server="taskset -c 0"
  pin_client="taskset -c 1"
fi

work_dir=$(mktemp -d -t damselfly-persistence-XXXXXX)
# shellcheck source=bench/servers.sh
source bench/servers.sh
trap 'stop_current_server; rm -rf "$work_dir"' EXIT

if [[ -n $port_range ]]; then
  # Replaces free_port from servers.sh: prints the first port of the range
  # that was free a moment ago on 127.0.0.1.
  free_port() {
    # shellcheck disable=SC2016 # The single-quoted text is JavaScript.
    node -e '
      const net = require("node:net");
      const [first, last] = process.argv[1].split("-").map(Number);
      const tryPort = (port) => {
        if (!(port <= last)) {
          console.error(`no free port in ${process.argv[1]}`);
          process.exit(1);
        }
        const server = net.createServer();
        server.once("error", () => tryPort(port + 1));
        server.listen(port, "127.0.0.1", () => server.close(() => console.log(port)));
      };
      tryPort(first);' "$port_range"
  }
fi

results=$work_dir/results.tsv
expected_keys=$((keys + 4 * collections))

record() {
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"
}

# Records the "name<TAB>value" lines of a probe for one round and server,
# with PREFIX before each name.
record_lines() {
  local round=$1 kind=$2 prefix=$3 name value
  while IFS=$'\t' read -r name value; do
    record "$round" "$kind" "$prefix$name" "$value"
  done
}

# Starts KIND in DIR with the given settings and sets server_pid, server_port
# and server_started_us (Unix time in microseconds, taken just before the start).
launch_server() {
  local kind=$1 dir=$2
  shift 2
  server_port=$(free_port)
  server_started_us=${EPOCHREALTIME/./}

  case $kind in
    damselfly)
      $pin_server node dist/src/main.js --port "$server_port" --bind 127.0.0.1 \
        --dir "$dir" "$@" >>"$dir/server.log" 2>&1 &
      ;;
    redis)
      $pin_server redis-server --port "$server_port" --bind 127.0.0.1 \
        --dir "$dir" "$@" >>"$dir/server.log" 2>&1 &
      ;;
  esac

  server_pid=$!
  server_pids+=("$server_pid")
}

# Stops the last server started. Only one runs at a time, so the list of
# servers from servers.sh is emptied, and no stale process id is left in it.
stop_current_server() {
  if ((${#server_pids[@]} > 0)); then
    stop_server "$server_pid"
    server_pids=()
  fi
}

# Waits for PONG from the last server started (LOADING does not count) and
# prints the milliseconds since it started. Fails after 10 minutes, or when
# the server exits, with its log on stderr.
wait_for_pong() {
  local dir=$1 now_us
  local deadline_us=$((server_started_us + 600000000))
  while [[ $($pin_client redis-cli -p "$server_port" ping 2>/dev/null) != PONG ]]; do
    now_us=${EPOCHREALTIME/./}
    if ! kill -0 "$server_pid" 2>/dev/null || ((now_us > deadline_us)); then
      echo "server on port $server_port exited or timed out before replying PONG; its log:" >&2
      cat "$dir/server.log" >&2
      return 1
    fi
    sleep 0.005
  done
  now_us=${EPOCHREALTIME/./}
  echo $(((now_us - server_started_us) / 1000))
}

# Loads the data set into the last server started; every command must succeed.
load_data() {
  local input=$1 reply
  reply=$($pin_client redis-cli -p "$server_port" --pipe <"$input")
  if ! grep -q "errors: 0, replies: $((keys + 4 * collections))\$" <<<"$reply"; then
    echo "loading the data set failed: $reply" >&2
    return 1
  fi
}

check_key_count() {
  local kind=$1 count
  count=$(redis-cli -p "$server_port" dbsize)
  if [[ $count != "$expected_keys" ]]; then
    echo "$kind has $count keys after loading the snapshot; expected $expected_keys" >&2
    return 1
  fi
}

# Prints "p99<TAB>requests per second" from redis-benchmark's summary
# (non-quiet output). Fails when the summary is missing.
parse_latency_summary() {
  awk '
    /throughput summary:/ { rps = $3 }
    /latency summary/ { getline; for (i = 1; i <= NF; i++) if ($i == "p99") column = i
                        getline; p99 = $column }
    END { if (rps == "" || p99 == "") exit 1; printf "%s\t%s\n", p99, rps }' "$1"
}

# Runs the GET latency benchmark against the last server started, first
# without a save, then starting right after a BGSAVE starts. Further BGSAVEs
# follow back to back until the benchmark ends, so that a save runs during
# all of it even where a save takes less time than the benchmark (as Redis's
# forked saves do).
measure_get_latency() {
  local round=$1 kind=$2 output summary
  local benchmark=(redis-benchmark -h 127.0.0.1 -p "$server_port" -t get -r "$keys"
    -n "$get_requests" -c "$clients")

  output=$work_dir/get-idle.out
  $pin_client "${benchmark[@]}" >"$output" 2>&1
  summary=$(parse_latency_summary "$output") || { cat "$output" >&2 && return 1; }
  record "$round" "$kind" get_idle_p99_ms "${summary%%$'\t'*}"
  record "$round" "$kind" get_idle_rps "${summary##*$'\t'}"

  output=$work_dir/get-save.out
  $pin_client node bench/persistence-probe.js bgsave "$server_port" "$server_pid" \
    "$output" "${benchmark[@]}" | record_lines "$round" "$kind" get_save_
  summary=$(parse_latency_summary "$output") || { cat "$output" >&2 && return 1; }
  record "$round" "$kind" get_save_p99_ms "${summary%%$'\t'*}"
  record "$round" "$kind" get_save_rps "${summary##*$'\t'}"
}

# Measures start-up, SAVE, BGSAVE, GET latency during BGSAVE and loading for
# one server, each step with only that server running.
measure_snapshots() {
  local round=$1 kind=$2 input=$3 dir ready_ms bytes
  local settings=(--save "" --appendonly no)

  dir=$(mktemp -d "$work_dir/$kind-empty-XXXX")
  launch_server "$kind" "$dir" "${settings[@]}"
  ready_ms=$(wait_for_pong "$dir")
  record "$round" "$kind" empty_ready_ms "$ready_ms"
  stop_current_server

  dir=$(mktemp -d "$work_dir/$kind-XXXX")
  launch_server "$kind" "$dir" "${settings[@]}"
  wait_for_pong "$dir" >/dev/null
  echo "  $kind: loading $expected_keys keys"
  load_data "$input"

  echo "  $kind: SAVE and BGSAVE"
  $pin_client node bench/persistence-probe.js save "$server_port" | record_lines "$round" "$kind" ""
  bytes=$(stat -c %s "$dir/dump.rdb")
  record "$round" "$kind" save_bytes "$bytes"
  $pin_client node bench/persistence-probe.js bgsave "$server_port" "$server_pid" |
    record_lines "$round" "$kind" ""
  bytes=$(stat -c %s "$dir/dump.rdb")
  record "$round" "$kind" bgsave_bytes "$bytes"

  echo "  $kind: GET latency without and during BGSAVE"
  measure_get_latency "$round" "$kind"
  stop_current_server

  echo "  $kind: restart on the snapshot"
  launch_server "$kind" "$dir" "${settings[@]}"
  ready_ms=$(wait_for_pong "$dir")
  record "$round" "$kind" load_ready_ms "$ready_ms"
  check_key_count "$kind"
  stop_current_server
}

# Runs SET without and with pipelining against a server that logs every
# write to its append-only file with the given fsync policy.
measure_aof() {
  local round=$1 kind=$2 policy=$3 dir pipeline count rps output
  dir=$(mktemp -d "$work_dir/$kind-aof-XXXX")
  launch_server "$kind" "$dir" --save "" --appendonly yes --appendfsync "$policy"
  wait_for_pong "$dir" >/dev/null

  output=$work_dir/aof.out
  for pipeline in 1 16; do
    count=$((pipeline > 1 ? aof_requests * 10 : aof_requests))
    if ! $pin_client redis-benchmark -h 127.0.0.1 -p "$server_port" -q --csv -t set \
      -r 100000 -n "$count" -c "$clients" -P "$pipeline" >"$output" 2>&1; then
      cat "$output" >&2
      return 1
    fi
    rps=$(awk -F'","' '/^"SET"/ { print $2 }' "$output")
    record "$round" "$kind" "aof_${policy}_p${pipeline}_rps" "$rps"
  done

  # The log must contain at least the 16-byte key of every unpipelined SET.
  local logged
  logged=$(du -sb "$dir/appendonlydir" | cut -f1)
  if ((logged < 16 * aof_requests)); then
    echo "$kind wrote only $logged bytes to $dir/appendonlydir" >&2
    return 1
  fi
  stop_current_server
}

if $build; then
  echo "Building"
  npm run build --silent
fi

echo "Machine: $(nproc) cores, node $(node --version), $(redis-server --version | cut -d' ' -f1-3)"
pinning="server on CPU 0, clients on CPU 1"
if [[ -z $pin_server ]]; then pinning="off"; fi
echo "Settings: $rounds rounds, $keys keys and $collections collections of each type," \
  "$get_requests GET requests, $aof_requests SET requests, $clients clients," \
  "pinning: $pinning"
echo

input=$work_dir/data.resp
{
  node bench/set-commands.js "$keys" numbered10
  node bench/collection-commands.js "$collections"
} >"$input"

for ((round = 1; round <= rounds; round++)); do
  # Odd rounds run Damselfly first and even rounds Redis, so warm-up and
  # drift in the machine's speed do not favour one server.
  order=(damselfly redis)
  if ((round % 2 == 0)); then order=(redis damselfly); fi
  echo "round $round of $rounds (${order[0]} first)"

  for kind in "${order[@]}"; do
    measure_snapshots "$round" "$kind" "$input"
  done
  if ! $aof; then continue; fi
  for policy in always everysec; do
    for kind in "${order[@]}"; do
      echo "  $kind: SET with appendfsync $policy"
      measure_aof "$round" "$kind" "$policy"
    done
  done
done

echo
echo "Persistence: median over $rounds rounds; ratio is damselfly / redis"
node bench/persistence-report.js "$results"
if [[ -n $results_copy ]]; then cp "$results" "$results_copy"; fi
