#!/usr/bin/env bash
# Records the benchmark capture: real TCP traffic between three network
# namespaces, written to bench/.cache/bench.pcap.
#
#   client ns: ab (apache2-utils)  --veth--  bridge ns: Linux bridge  --veth--  server ns: nginx
#                                            + nftables bridge-family drop of ~0.5 % of TCP frames
#
# The capture is taken on the client's veth, so it shows the client's view:
# tens of thousands of short HTTP/1.0 connections (server-side TIME_WAIT, port
# reuse on the client), keep-alive connections carrying 8 KB / 64 KB / 1 MB
# bodies, and the retransmissions and gaps that the dropped frames cause.
#
# Usage: bash bench/make-capture.sh [--force]
# Needs root and: tcpdump iproute2 nftables ethtool nginx apache2-utils
# (capinfos from tshark is used to count an existing file).
#
# Tunables (environment):
#   BENCH_PACKETS    stop the traffic once this many packets are captured (default 5300000)
#   BENCH_MIN        fail if the finished capture has fewer packets (default 5000000)
#   BENCH_SNAPLEN    tcpdump snaplen in bytes (default 200, keeps the file near 1 GB)
#   BENCH_MAX_SECS   hard limit on the traffic phase in seconds (default 420)
#   BENCH_OUT        output file (default bench/.cache/bench.pcap)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${BENCH_OUT:-$here/.cache/bench.pcap}"
meta="${out%.pcap}.meta.json"
target="${BENCH_PACKETS:-5300000}"
min_packets="${BENCH_MIN:-5000000}"
snaplen="${BENCH_SNAPLEN:-200}"
max_secs="${BENCH_MAX_SECS:-420}"
force=0

for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make-capture: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log() { printf '[make-capture] %s\n' "$*" >&2; }
die() { printf 'make-capture: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------ existing file?
count_packets() { # FILE -> packet count on stdout
  if command -v capinfos >/dev/null 2>&1; then
    capinfos -M -c -T -r "$1" 2>/dev/null | awk -F'\t' 'NR==1 {print $2}'
  else
    tcpdump -n -q -r "$1" 2>/dev/null | wc -l
  fi
}

if [[ -f "$out" && $force -eq 0 ]]; then
  have=""
  size=$(stat -c %s "$out")
  if [[ -f "$meta" ]] && grep -q "\"fileBytes\": *$size[,}]" "$meta"; then
    have=$(sed -n 's/.*"packets": *\([0-9]*\).*/\1/p' "$meta")
  fi
  [[ -n "$have" ]] || have=$(count_packets "$out")
  if [[ -n "$have" && "$have" -ge "$min_packets" ]]; then
    log "$out already has $have packets ($size bytes); use --force to record again"
    exit 0
  fi
  log "$out has ${have:-an unknown number of} packets (< $min_packets): recording again"
fi

# ------------------------------------------------------------ preconditions
[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, tcpdump); run: sudo bash bench/make-capture.sh"
missing=()
for tool in ip nft ethtool tcpdump nginx ab; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  die "missing ${missing[*]}; install: apt-get install -y tcpdump iproute2 nftables ethtool nginx apache2-utils"
fi

# ------------------------------------------------------------ state + cleanup
id="$$"
ns_c="synfin-bench-c-$id"   # client: ab
ns_b="synfin-bench-b-$id"   # middle: bridge + loss
ns_s="synfin-bench-s-$id"   # server: nginx
ip_c=10.201.0.1
ip_s=10.201.0.2
tmp=""
pids=()          # every background process started here, by pid
created_ns=()    # every namespace created here
nginx_pid=""
tcpdump_pid=""

cleanup() {
  local rc=$?
  set +e
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for ns in "${created_ns[@]}"; do
    ip netns del "$ns" 2>/dev/null
  done
  [[ -n "$tmp" && -d "$tmp" ]] && rm -rf "$tmp"
  [[ -n "${partial:-}" && -f "$partial" ]] && rm -f "$partial"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d /tmp/synfin-bench.XXXXXX)
chmod 755 "$tmp"   # nginx workers run as an unprivileged user
mkdir -p "$(dirname "$out")"
partial="$out.partial.$id"

# ------------------------------------------------------------ namespaces
for ns in "$ns_c" "$ns_b" "$ns_s"; do
  ip netns add "$ns"
  created_ns+=("$ns")
  ip -n "$ns" link set lo up
done

# veth pairs created directly inside the namespaces (nothing in the host's)
ip -n "$ns_c" link add veth-c type veth peer name br-c netns "$ns_b"
ip -n "$ns_s" link add veth-s type veth peer name br-s netns "$ns_b"
ip -n "$ns_b" link add br0 type bridge stp_state 0 forward_delay 0

for pair in "$ns_c:veth-c" "$ns_b:br-c" "$ns_b:br-s" "$ns_s:veth-s"; do
  ns=${pair%%:*} dev=${pair#*:}
  ip -n "$ns" link set "$dev" mtu 1500
  ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off >/dev/null
done
ip -n "$ns_b" link set br-c master br0
ip -n "$ns_b" link set br-s master br0
for dev in br-c br-s br0; do ip -n "$ns_b" link set "$dev" up; done

ip -n "$ns_c" addr add "$ip_c/24" dev veth-c
ip -n "$ns_s" addr add "$ip_s/24" dev veth-s
ip -n "$ns_c" link set veth-c up
ip -n "$ns_s" link set veth-s up

# loss: ~0.5 % of TCP frames crossing the bridge, either direction
ip netns exec "$ns_b" nft 'add table bridge f'
ip netns exec "$ns_b" nft 'add chain bridge f fw { type filter hook forward priority 0; }'
ip netns exec "$ns_b" nft 'add rule bridge f fw meta l4proto tcp numgen random mod 200 == 0 counter drop'

# client: reuse ports quickly, wide ephemeral range
ip netns exec "$ns_c" sysctl -q -w net.ipv4.tcp_tw_reuse=1
ip netns exec "$ns_c" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535"
ip netns exec "$ns_s" sysctl -q -w net.core.somaxconn=4096
ip netns exec "$ns_s" sysctl -q -w net.ipv4.tcp_max_syn_backlog=4096

# ------------------------------------------------------------ nginx
mkdir -p "$tmp/www" "$tmp/logs"
head -c 512     /dev/urandom > "$tmp/www/s.bin"
head -c 8192    /dev/urandom > "$tmp/www/m.bin"
head -c 65536   /dev/urandom > "$tmp/www/l.bin"
head -c 1048576 /dev/urandom > "$tmp/www/xl.bin"
chmod 644 "$tmp"/www/*.bin
cat > "$tmp/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 16384;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fastcgi;
  uwsgi_temp_path $tmp/uwsgi;
  scgi_temp_path $tmp/scgi;
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout 15s;
  keepalive_requests 200;
  server {
    listen $ip_s:80 backlog=4096;
    root $tmp/www;
  }
}
EOF
ip netns exec "$ns_s" nginx -p "$tmp" -e "$tmp/logs/error.log" -c "$tmp/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
pids+=("$nginx_pid")

ready=0
for _ in $(seq 1 100); do
  if ip netns exec "$ns_c" bash -c "exec 3<>/dev/tcp/$ip_s/80" 2>/dev/null; then ready=1; break; fi
  kill -0 "$nginx_pid" 2>/dev/null || die "nginx failed: $(cat "$tmp/logs/error.log" 2>/dev/null)"
  sleep 0.1
done
((ready)) || die "nginx does not answer on $ip_s:80"

# ------------------------------------------------------------ capture
ip netns exec "$ns_c" tcpdump -i veth-c -n -U -B 65536 -s "$snaplen" -Z root -w "$partial" \
  2>"$tmp/tcpdump.log" &
tcpdump_pid=$!
pids+=("$tcpdump_pid")

for _ in $(seq 1 100); do
  grep -q 'listening on' "$tmp/tcpdump.log" 2>/dev/null && break
  kill -0 "$tcpdump_pid" 2>/dev/null || die "tcpdump failed: $(cat "$tmp/tcpdump.log")"
  sleep 0.1
done
grep -q 'listening on' "$tmp/tcpdump.log" || die "tcpdump did not start: $(cat "$tmp/tcpdump.log")"

# tcpdump_stat WHAT: the last "N packets WHAT" tcpdump reported on stderr
# (on SIGUSR1 it prints one line "tcpdump: N packets captured, M packets received
# by filter, K packets dropped by kernel"; on exit the same on three lines)
tcpdump_stat() {
  awk -v what="$1" '
    { s = $0
      while (match(s, "[0-9]+ packets? " what)) { n = substr(s, RSTART, RLENGTH) + 0; s = substr(s, RSTART + RLENGTH) } }
    END { print n + 0 }' "$tmp/tcpdump.log"
}
captured() { # packets captured so far
  kill -USR1 "$tcpdump_pid" 2>/dev/null || { echo 0; return; }
  sleep 0.2
  tcpdump_stat captured
}

# ------------------------------------------------------------ traffic
# Two ab streams run side by side, each phase a few seconds long:
#   short: HTTP/1.0 without keep-alive, one connection per request
#   long:  keep-alive (-k), many requests per connection, larger bodies
# The rotation mixes body sizes so every phase has handshakes, bulk data and closes.
short_files=(s.bin m.bin s.bin s.bin m.bin)
short_conc=(48 32 64 48 32)
long_files=(l.bin m.bin l.bin xl.bin l.bin)
long_conc=(8 16 8 2 12)
phase_secs=4

start=$(date +%s)
phase=0
stop=0
n=0
elapsed=0
while ((stop == 0)); do
  i=$((phase % ${#short_files[@]}))
  phase_start=$(date +%s%N)
  ip netns exec "$ns_c" ab -q -r -s 60 -t "$phase_secs" -n 10000000 -c "${short_conc[$i]}" \
    "http://$ip_s/${short_files[$i]}" >"$tmp/ab-short.log" 2>&1 &
  ab_short=$!
  ip netns exec "$ns_c" ab -q -r -k -s 60 -t "$phase_secs" -n 10000000 -c "${long_conc[$i]}" \
    "http://$ip_s/${long_files[$i]}" >"$tmp/ab-long.log" 2>&1 &
  ab_long=$!
  pids+=("$ab_short" "$ab_long")
  while kill -0 "$ab_short" 2>/dev/null || kill -0 "$ab_long" 2>/dev/null; do
    sleep 1
    n=$(captured)
    elapsed=$(($(date +%s) - start))
    if ((n >= target || elapsed >= max_secs)); then
      stop=1
      kill -TERM "$ab_short" "$ab_long" 2>/dev/null || true
      break
    fi
  done
  wait "$ab_short" 2>/dev/null || true
  wait "$ab_long" 2>/dev/null || true
  if (($(date +%s%N) - phase_start < 1000000000)); then
    die "ab stopped at once: $(tail -n 3 "$tmp/ab-short.log" "$tmp/ab-long.log")"
  fi
  elapsed=$(($(date +%s) - start))
  ((elapsed < max_secs)) || stop=1
  log "$(printf '%4ds  %9d packets captured  (%s -c %s, %s -k -c %s)' "$elapsed" "$n" \
    "${short_files[$i]}" "${short_conc[$i]}" "${long_files[$i]}" "${long_conc[$i]}")"
  phase=$((phase + 1))
done

# let the last closes and retransmissions finish, then stop the capture
sleep 2
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
end=$(date +%s)

packets=$(tcpdump_stat captured)
received=$(tcpdump_stat "received by filter")
dropped=$(tcpdump_stat "dropped by kernel")
nft_drops=$(ip netns exec "$ns_b" nft list chain bridge f fw | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
bytes=$(stat -c %s "$partial")

if ((packets < min_packets)); then
  die "only $packets packets captured in $((end - start)) s (need $min_packets); raise BENCH_MAX_SECS"
fi
mv -f "$partial" "$out"

cat > "$meta" <<EOF
{"file": "$(basename "$out")", "fileBytes": $bytes, "packets": $packets, "snaplen": $snaplen, "tcpdumpReceived": $received, "tcpdumpDroppedByKernel": $dropped, "bridgeDrops": ${nft_drops:-0}, "seconds": $((end - start)), "recorded": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"}
EOF

cat <<EOF
capture:   $out
packets:   $packets
size:      $bytes bytes ($(awk -v b="$bytes" 'BEGIN {printf "%.2f GB", b / 1e9}'))
snaplen:   $snaplen
time:      $((end - start)) s of traffic
tcpdump:   $dropped dropped by kernel ($received received by filter)
bridge:    ${nft_drops:-0} TCP frames dropped in the middle namespace
EOF
if ((dropped > 0)); then
  log "warning: tcpdump dropped $dropped packets; the capture has holes that the network did not cause"
fi
