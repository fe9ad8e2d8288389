#!/usr/bin/env bash
# Regenerates the per-frame tcp.analysis baselines from tshark 4.0.17 (the tests read the .tsv files).
# Usage: test/baselines/make-flags.sh [CORPUS_DIR]
set -euo pipefail
corpus=${1:-../shared/corpus}
here=$(dirname "$0")
fields=(retransmission fast_retransmission spurious_retransmission out_of_order lost_segment ack_lost_segment duplicate_ack
        zero_window zero_window_probe zero_window_probe_ack window_full window_update keep_alive keep_alive_ack reused_ports)
ids=(retransmission fast-retransmission spurious-retransmission out-of-order previous-segment-lost acked-unseen duplicate-ack
     zero-window zero-window-probe zero-window-probe-ack window-full window-update keep-alive keep-alive-ack port-reuse)
args=()
for f in "${fields[@]}"; do args+=(-e "tcp.analysis.$f"); done
fixtures=$here/../../fixtures
for f in http-206-zerowin-retrans.pcap mix-126-streams-keepalive.pcap pcapng-dsb-tls.pcapng qinq-pppoe-retrans.pcap \
         sack-fast-retrans-snaplen.pcap seq-wraparound.pcap lt0-null-redis-keepalive.pcap rst-inject-port-reuse.pcap \
         midstream-121-http.pcap icmp-quotes-tcp-smtp.pcap \
         fixtures/lossy-transfer.pcap fixtures/reorder.pcap fixtures/rough-transfer.pcap fixtures/rough-path.pcap; do
  # (the recorded scenarios of fixtures/ too: real loss and reordering, and no corpus needed to test them)
  src="$corpus/$f"
  case "$f" in fixtures/*) f=${f#fixtures/}; src="$fixtures/$f" ;; esac
  # one line per frame that carries a flag: frame number, then the synfin ids of its flags
  tshark -r "$src" -Y 'tcp && !icmp && !icmpv6' -T fields -E separator=/t -e frame.number "${args[@]}" 2>/dev/null |
    awk -F'\t' -v names="${ids[*]}" 'BEGIN { n = split(names, id, " ") }
      { out = ""; for (i = 2; i <= n + 1; i++) if ($i != "") out = out (out == "" ? "" : ",") id[i - 1]; if (out != "") print $1 "\t" out }' \
    > "$here/$f.flags.tsv"
done
