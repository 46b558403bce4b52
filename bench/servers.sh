# shellcheck shell=bash disable=SC2154
# Server helpers for bench/run.sh (sourced, not run). They start Damselfly or
# redis-server on a free port of 127.0.0.1 with persistence off and stop them
# again. The caller sets work_dir and pin_server (a taskset prefix or empty).

server_pids=()

# Prints a TCP port that was free a moment ago on 127.0.0.1.
free_port() {
  node -e '
    const server = require("node:net").createServer();
    server.listen(0, "127.0.0.1", () => {
      console.log(server.address().port);
      server.close();
    });'
}

# Starts "damselfly" or "redis" and sets server_pid and server_port.
start_server() {
  local kind=$1
  local dir
  server_port=$(free_port)
  dir=$(mktemp -d "$work_dir/$kind-XXXX")

  case $kind in
    damselfly)
      $pin_server node dist/src/main.js --port "$server_port" --bind 127.0.0.1 \
        --save "" --dir "$dir" >"$dir/server.log" 2>&1 &
      ;;
    redis)
      $pin_server redis-server --port "$server_port" --bind 127.0.0.1 \
        --save "" --appendonly no --dir "$dir" >"$dir/server.log" 2>&1 &
      ;;
  esac

  server_pid=$!
  server_pids+=("$server_pid")
  wait_until_ready "$kind" "$server_pid" "$server_port" "$dir/server.log"
}

# Waits up to 15 seconds for PONG; prints the server's log and fails otherwise.
wait_until_ready() {
  local kind=$1 pid=$2 port=$3 log=$4
  local attempt
  for ((attempt = 0; attempt < 300; attempt++)); do
    if [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    sleep 0.05
  done

  echo "$kind on port $port did not reply to PING within 15 s; its log:" >&2
  cat "$log" >&2
  return 1
}

# Sends SIGTERM to one server and waits for it to exit.
stop_server() {
  local pid=$1
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_all_servers() {
  local pid
  for pid in "${server_pids[@]}"; do
    stop_server "$pid"
  done
  server_pids=()
}

# Prints the resident set size of a process in kB, from /proc/PID/status.
rss_kb() {
  awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}
