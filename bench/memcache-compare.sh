#!/usr/bin/env bash
# Compares Damselfly's memcached port with `memcached -t 1` on this machine:
# get, set and 10-key multi-get with bench/memcache-load.js, 50 connections,
# one request in flight each. The two servers alternate in every round. For
# each run it prints requests per second and the server's CPU time per
# request; the last lines give the median ratios, Damselfly over memcached.
# Run `bash bench/memcache-compare.sh --help` for the options.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
seconds=5
connections=50

usage() {
  cat <<'EOF'
Usage: bash bench/memcache-compare.sh [options]   (or: npm run bench:memcache -- [options])

  --rounds N        rounds; each runs every workload on both servers (default 5)
  --seconds N       measured seconds per run (default 5)
  --connections N   connections of the load driver (default 50)
EOF
}

while (($# > 0)); do
  case $1 in
    --rounds) rounds=$2 && shift ;;
    --seconds) seconds=$2 && shift ;;
    --connections) connections=$2 && shift ;;
    -h | --help) usage && exit 0 ;;
    *) echo "unknown option $1; see --help" >&2 && exit 2 ;;
  esac
  shift
done

command -v memcached >/dev/null || { echo "memcached is not installed" >&2 && exit 1; }
[[ -f dist/src/main.js ]] || { echo "build first: npm run build" >&2 && exit 1; }

# shellcheck source=bench/servers.sh
source bench/servers.sh # for free_port

work_dir=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  rm -rf "$work_dir"
}
trap cleanup EXIT

memcached_port=$(free_port)
# memcached refuses to start as root without -u, the user to run as.
memcached -u "$(id -un)" -t 1 -p "$memcached_port" -U 0 -l 127.0.0.1 -m 1024 -c 4096 &
memcached_pid=$!
pids+=("$memcached_pid")
damselfly_port=$(free_port)
node dist/src/main.js --port "$(free_port)" --bind 127.0.0.1 --save "" --dir "$work_dir" \
  --memcached-port "$damselfly_port" >"$work_dir/server.log" 2>&1 &
damselfly_pid=$!
pids+=("$damselfly_pid")
sleep 2

# Runs one workload ("get 1", "set 1", "get 10") against a port; prints "rps cpu".
measure() {
  local op=$1 multiget=$2 port=$3 pid=$4 line
  line=$(node bench/memcache-load.js --port "$port" --op "$op" --multiget "$multiget" \
    --connections "$connections" --seconds "$seconds" --server-pid "$pid" | tail -1)
  echo "$line" | sed -E 's/.*: ([0-9]+) requests\/s.*server ([0-9.]+) us.*/\1 \2/'
}

results="$work_dir/results"
printf '%-7s %-6s %-9s %12s %14s\n' round op server requests/s 'server us/req'
for ((round = 1; round <= rounds; round++)); do
  for workload in "get 1" "set 1" "get 10"; do
    read -r op multiget <<<"$workload"
    name=$op
    ((multiget > 1)) && name="$op$multiget"
    for server in memcached damselfly; do
      if [[ $server == memcached ]]; then
        read -r rps cpu < <(measure "$op" "$multiget" "$memcached_port" "$memcached_pid")
      else
        read -r rps cpu < <(measure "$op" "$multiget" "$damselfly_port" "$damselfly_pid")
      fi
      printf '%-7s %-6s %-9s %12s %14s\n' "$round" "$name" "$server" "$rps" "$cpu"
      echo "$round $name $server $rps $cpu" >>"$results"
    done
  done
done

echo
echo "median ratios, Damselfly over memcached (throughput; CPU per request inverted):"
node -e '
  const rows = require("node:fs").readFileSync(process.argv[1], "latin1").trim().split("\n");
  const runs = new Map();
  for (const row of rows) {
    const [round, name, server, rps, cpu] = row.split(" ");
    const key = `${round} ${name}`;
    if (!runs.has(key)) runs.set(key, {});
    runs.get(key)[server] = { rps: Number(rps), cpu: Number(cpu) };
  }
  const byName = new Map();
  for (const [key, pair] of runs) {
    const name = key.split(" ")[1];
    if (!byName.has(name)) byName.set(name, { rps: [], cpu: [] });
    byName.get(name).rps.push(pair.damselfly.rps / pair.memcached.rps);
    byName.get(name).cpu.push(pair.memcached.cpu / pair.damselfly.cpu);
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [name, ratios] of byName) {
    const rps = median(ratios.rps).toFixed(2);
    const cpu = median(ratios.cpu).toFixed(2);
    console.log(`  ${name.padEnd(6)} throughput ${rps}, CPU per request ${cpu}`);
  }' "$results"
