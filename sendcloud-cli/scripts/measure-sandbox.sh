#!/usr/bin/env bash
# Measures `sendcloud sandbox` (release build) as the issue asks:
#  1. peak RSS over a 1,000,000-message `sendcloud bulk` run, with --max-messages 10000
#     (the default), 1000 and 100000, for the bytes each stored message costs;
#  2. requests/s (wrk) without and with 5,000 idle connections open, alternating.
# Needs: python3, wrk, /usr/bin/time. Run from the repository root:
#   cargo build --release -p sendcloud-cli && sendcloud-cli/scripts/measure-sandbox.sh
set -euo pipefail
BIN=${CARGO_TARGET_DIR:-target}/release/sendcloud
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK/1m.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("phone,code\n")
    for i in range(1_000_000):
        f.write("13%09d,1234\n" % i)
PY

serve() { # serve PORT FLAGS...: starts the sandbox under /usr/bin/time, prints its pid
  local port=$1; shift
  /usr/bin/time -v -o "$WORK/time-$port" "$BIN" sandbox --listen "127.0.0.1:$port" --json "$@" >/dev/null 2>&1 &
  for _ in $(seq 50); do
    pid=$(pgrep -f "^$BIN sandbox --listen 127.0.0.1:$port" || true)
    [ -n "$pid" ] && curl -sf "127.0.0.1:$port/api/stats" >/dev/null && { echo "$pid"; return; }
    sleep 0.1
  done
  echo "the sandbox did not start" >&2; exit 1
}

stop() { # stop PID PORT: Ctrl-C, then the peak RSS /usr/bin/time saw
  kill -INT "$1"; while kill -0 "$1" 2>/dev/null; do sleep 0.1; done; sleep 0.2
  grep "Maximum resident" "$WORK/time-$2" | awk '{print $NF}'
}

port=18500
for cap in 10000 1000 100000; do
  port=$((port + 1))
  pid=$(serve $port --max-messages $cap)
  start=$(date +%s.%N)
  SENDCLOUD_BASE_URL=http://127.0.0.1:$port/smsapi SENDCLOUD_SMS_USER=sandbox-user \
    SENDCLOUD_SMS_KEY=sandbox-key "$BIN" --json bulk --template 1 --recipients "$WORK/1m.csv" >/dev/null
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  stored=$(curl -s "127.0.0.1:$port/api/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["stored"])')
  peak=$(stop "$pid" $port)
  echo "max-messages $cap: 1,000,000 sent in ${secs}s, $stored stored, peak RSS $peak kB ($((peak * 1024 / stored)) bytes per stored message)"
  eval "peak_$cap=$peak"
done
echo "each stored message beyond the first 1,000: $(( (peak_100000 - peak_1000) * 1024 / 99000 )) bytes"

port=$((port + 1))
pid=$(serve $port --header-read-timeout 600s)
url=http://127.0.0.1:$port/smsapi/timestamp/get
for round in 1 2; do
  echo "round $round, no idle connections: $(wrk -t2 -c50 -d8s "$url" | grep Requests/sec)"
  python3 -c '
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(5000)]
time.sleep(30)' $port &
  idle=$!
  sleep 2
  echo "round $round, 5,000 idle connections ($(curl -s "127.0.0.1:$port/api/stats" | grep -o '"openConnections":[0-9]*')): $(wrk -t2 -c50 -d8s "$url" | grep Requests/sec)"
  kill $idle; wait $idle 2>/dev/null || true
  sleep 1
done
echo "peak RSS with 5,000 connections: $(stop "$pid" $port) kB"
