import type { CaptureWarning, Frame, FrameSink } from '../../src/capture/frame.js';
import { readCapture, type ReadOptions, type ReadResult } from '../../src/capture/reader.js';
import { Decoder, REASONS } from '../../src/decode/decoder.js';

export interface SegmentSnapshot {
  ipVersion: number; src: number[]; dst: number[]; ipDepth: number; reassembled: boolean; quoted: boolean;
  srcPort: number; dstPort: number; seq: number; ack: number; flags: number; window: number;
  headerLength: number; payloadLength: number; captured: number; headerValid: boolean; checksum: number;
  mss: number; wscale: number; sackPermitted: boolean; sack: number[]; hasTimestamps: boolean; tsVal: number; tsEcr: number;
  tfo: number; mptcp: boolean; optionsMalformed: boolean; optionsCut: boolean;
}

export interface FrameInfo {
  number: number; tsSec: number; tsNsec: number; iface: number; linktype: number; caplen: number; origlen: number;
  fileOffset: number; bytes: Uint8Array;
  /** 0 TCP, 1 ICMP-quoted TCP, 2 not TCP */
  kind: number;
  reason: string | null;
  warning: string | null;
  seg: SegmentSnapshot | null;
}

/** Read a whole capture, decoding every frame, and keep copies of everything (tests only). */
export async function collect(path: string, opts: ReadOptions & { verifyChecksums?: boolean } = {}): Promise<{
  frames: FrameInfo[]; warnings: CaptureWarning[]; nonPacket: number[]; result: ReadResult;
}> {
  const d = new Decoder({ verifyChecksums: opts.verifyChecksums });
  const frames: FrameInfo[] = [];
  const warnings: CaptureWarning[] = [];
  const nonPacket: number[] = [];
  const sink: FrameSink = {
    onFrame(f: Frame) {
      const kind = d.decode(f);
      const s = d.seg;
      frames.push({
        number: f.number, tsSec: f.tsSec, tsNsec: f.tsNsec, iface: f.iface, linktype: f.linktype,
        caplen: f.caplen, origlen: f.origlen, fileOffset: f.fileOffset, bytes: f.data.slice(), kind,
        reason: kind === 2 ? REASONS[d.reason] : kind === 1 ? 'icmp-quoting-tcp' : null,
        warning: d.warning,
        seg: kind === 2 ? null : {
          ipVersion: s.ipVersion, src: [...s.src], dst: [...s.dst], ipDepth: s.ipDepth, reassembled: s.reassembled, quoted: s.quoted,
          srcPort: s.srcPort, dstPort: s.dstPort, seq: s.seq, ack: s.ack, flags: s.flags, window: s.window,
          headerLength: s.headerLength, payloadLength: s.payloadLength, captured: s.captured, headerValid: s.headerValid,
          checksum: s.checksum, mss: s.mss, wscale: s.wscale, sackPermitted: s.sackPermitted,
          sack: [...s.sack.subarray(0, 2 * s.sackCount)], hasTimestamps: s.hasTimestamps, tsVal: s.tsVal, tsEcr: s.tsEcr,
          tfo: s.tfo, mptcp: s.mptcp, optionsMalformed: s.optionsMalformed, optionsCut: s.optionsCut,
        },
      });
    },
    onNonPacketRecord(n: number) { nonPacket.push(n); },
    onWarning(w: CaptureWarning) { warnings.push(w); },
  };
  const result = await readCapture(path, sink, opts);
  return { frames, warnings, nonPacket, result };
}
