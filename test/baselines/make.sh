#!/usr/bin/env bash
# Regenerates the per-stream baselines from tshark 4.0.17 (not needed by the tests, which read the .tsv files).
# Usage: test/baselines/make.sh [CORPUS_DIR]
set -euo pipefail
corpus=${1:-../shared/corpus}
here=$(dirname "$0")
for f in http-three-streams.pcap mix-126-streams-keepalive.pcap cip-span-duplicates.pcap rst-inject-port-reuse.pcap \
         icmp-quotes-tcp-smtp.pcap pcapng-2if-eth-sll-comments.pcapng ipv4-frag-tcp.pcap gre-ssh-session.pcap tfo-syn-data.pcap; do
  # frames and bytes per tcp.stream, as tshark assigns them (ICMP-quoted headers left out)
  tshark -r "$corpus/$f" -Y 'tcp && !icmp && !icmpv6' -T fields -e tcp.stream -e frame.len 2>/dev/null |
    awk -F'\t' '{ n[$1]++; b[$1] += $2 } END { for (s in n) print s "\t" n[s] "\t" b[s] }' | sort -n > "$here/$f.streams.tsv"
done
