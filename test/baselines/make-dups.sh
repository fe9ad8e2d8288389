#!/usr/bin/env bash
# Regenerates the duplicate-frame baselines from tshark 4.0.17 (the tests read the .tsv files).
# A frame is a copy when an earlier frame of the same direction, at most 1 ms before it, has the same
# IPv4 ID (non-zero), sequence and acknowledgment numbers, flags, payload length, window and TCP checksum
# (reference §7.15). One line per copy: its frame number.
# Usage: test/baselines/make-dups.sh [CORPUS_DIR]
set -euo pipefail
corpus=${1:-../shared/corpus}
here=$(dirname "$0")
for f in cip-span-duplicates.pcap pcap-be-usec-pptp-gre.pcap; do
  tshark -r "$corpus/$f" -Y 'tcp && ip && !icmp' -T fields -E separator=/t -e frame.number -e frame.time_epoch \
    -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e ip.id -e tcp.seq_raw -e tcp.ack_raw -e tcp.flags -e tcp.len \
    -e tcp.window_size_value -e tcp.checksum 2>/dev/null |
    awk -F'\t' '{
        key = $3; for (i = 4; i <= 13; i++) key = key "|" $i
        if ($7 != "0x0000" && (key in at) && $2 - at[key] >= 0 && $2 - at[key] < 0.001) print $1
        at[key] = $2
      }' > "$here/$f.dups.tsv"
done
