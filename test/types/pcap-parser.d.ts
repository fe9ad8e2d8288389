declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  interface PacketHeader { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }
  interface Packet { header: PacketHeader; data: Buffer }
  interface Parser extends EventEmitter {}
  export function parse(input: string | NodeJS.ReadableStream): Parser;
  const _default: { parse: typeof parse };
  export default _default;
}
