/**
 * Captures no stack produces on demand, built byte by byte: a BSD/Windows-style 1-byte
 * zero-window probe, and a half-open connection answered by a bare RST.
 */
import { ACK, FIN, PSH, RST, SYN } from '../../src/decode/segment.js';
import { ether, ipv4, pcapFile, tcp, type PcapRecord } from './pcap-writer.js';

const C = { ip: '192.0.2.1', port: 51000 }, S = { ip: '192.0.2.80', port: 80 };
const CI = 1_000_000, SI = 7_000_000;

function pkt(fromClient: boolean, flags: number, seq: number, ack: number, win: number, len = 0, id = 1, clientPort = C.port): Uint8Array {
  const c = { ip: C.ip, port: clientPort };
  const [a, b] = fromClient ? [c, S] : [S, c];
  return ether(0x0800, ipv4({ src: a.ip, dst: b.ip, id, payload: tcp({ sport: a.port, dport: b.port, seq, ack, flags, win, payload: new Uint8Array(len) }) }));
}

/** The client's three-way handshake at 0, 10 and 20 ms (new packets each call: records() numbers their IPv4 IDs). */
function handshake(): Array<[number, Uint8Array]> {
  return [
    [0, pkt(true, SYN, CI, 0, 64240)],
    [10, pkt(false, SYN | ACK, SI, CI + 1, 65535)],
    [20, pkt(true, ACK, CI + 1, SI + 1, 64240)],
  ];
}

function records(list: Array<[number, Uint8Array]>): PcapRecord[] {
  let id = 100;
  return list.map(([ms, data]) => {
    data[18] = (++id >> 8) & 255; data[19] = id & 255; // distinct IPv4 IDs (Ethernet 14 + offset 4)
    return { sec: 1_700_000_000 + Math.floor(ms / 1000), frac: (ms % 1000) * 1000, data };
  });
}

/** A receiver closes its window; the sender probes it with one new byte, twice; then the window opens. */
export function zeroWindowProbeCapture(): Uint8Array {
  return pcapFile({}, records([
    ...handshake(),
    [30, pkt(true, PSH | ACK, CI + 1, SI + 1, 64240, 1000)],
    [40, pkt(false, ACK, SI + 1, CI + 1001, 0)], // zero window
    [540, pkt(true, PSH | ACK, CI + 1001, SI + 1, 64240, 1)], // 1-byte probe
    [550, pkt(false, ACK, SI + 1, CI + 1001, 0)], // probe not taken: zero window again
    [1550, pkt(true, PSH | ACK, CI + 1001, SI + 1, 64240, 1)], // probe again
    [1560, pkt(false, ACK, SI + 1, CI + 1002, 2000)], // byte taken, window open
    [1570, pkt(true, PSH | ACK, CI + 1002, SI + 1, 64240, 999)],
    [1580, pkt(false, ACK, SI + 1, CI + 2001, 4000)],
    [1590, pkt(true, FIN | ACK, CI + 2001, SI + 1, 64240)],
    [1600, pkt(false, FIN | ACK, SI + 1, CI + 2002, 4000)],
    [1610, pkt(true, ACK, CI + 2002, SI + 2, 64240)],
  ]));
}

/** The server lost the connection (rebooted): the client's next data draws a bare RST. */
export function halfOpenCapture(): Uint8Array {
  return pcapFile({}, records([
    ...handshake(),
    [30, pkt(true, PSH | ACK, CI + 1, SI + 1, 64240, 100)],
    [40, pkt(false, ACK, SI + 1, CI + 101, 65535)],
    [60_000, pkt(true, PSH | ACK, CI + 101, SI + 1, 64240, 100)],
    [60_001, pkt(false, RST, SI + 1, 0, 0)], // no TCB: seq = the segment's ack, no ACK flag
  ]));
}

/** A student's own socket program gets the third segment wrong: the server never leaves SYN_RCVD. */
export function badThirdAckCapture(): Uint8Array {
  return pcapFile({}, records([
    [0, pkt(true, SYN, CI, 0, 64240)],
    [10, pkt(false, SYN | ACK, SI, CI + 1, 65535)],
    [20, pkt(true, ACK, CI + 1, SI + 4017, 64240)], // acknowledges 4017, not 1
    [30, pkt(true, PSH, CI + 1, 12345, 64240, 10)], // an ack field without the ACK flag
  ]));
}

/**
 * A third party injects a RST that looks like the server's (in window, RST+ACK); the client takes it,
 * but the real server, which sent none, goes on sending its response.
 */
export function injectedRstCapture(): Uint8Array {
  return pcapFile({}, records([
    ...handshake(),
    [30, pkt(true, PSH | ACK, CI + 1, SI + 1, 64240, 100)],
    [31, pkt(false, RST | ACK, SI + 1, CI + 101, 0)], // injected: the server never sent it
    [40, pkt(false, PSH | ACK, SI + 1, CI + 101, 65535, 500)],
    [41, pkt(false, PSH | ACK, SI + 501, CI + 101, 65535, 500)],
  ]));
}

/** A (broken or crafted) sender that goes on with new data past its own FIN. */
export function dataPastFinCapture(): Uint8Array {
  return pcapFile({}, records([
    ...handshake(),
    [30, pkt(true, FIN | PSH | ACK, CI + 1, SI + 1, 64240, 100)], // FIN at 101
    [40, pkt(false, ACK, SI + 1, CI + 102, 65535)],
    [50, pkt(true, PSH | ACK, CI + 102, SI + 1, 64240, 50)], // new data past the FIN
  ]));
}

/**
 * The client closes first; the server's FIN is acknowledged, sent again 200 ms later (so that ACK was
 * lost) and acknowledged again; another connection's SYN at `endAtMs` sets the capture's end.
 */
export function finalAckAgainCapture(endAtMs: number): Uint8Array {
  const other = ether(0x0800, ipv4({ src: '192.0.2.2', dst: S.ip, payload: tcp({ sport: 40000, dport: S.port, seq: 1, flags: SYN, win: 64240 }) }));
  return pcapFile({}, records([
    ...handshake(),
    [30, pkt(true, FIN | ACK, CI + 1, SI + 1, 64240)],
    [40, pkt(false, ACK, SI + 1, CI + 2, 65535)],
    [50, pkt(false, FIN | ACK, SI + 1, CI + 2, 65535)],
    [60, pkt(true, ACK, CI + 2, SI + 2, 64240)],
    [250, pkt(false, FIN | ACK, SI + 1, CI + 2, 65535)], // the FIN again: the ACK of frame 7 was lost
    [251, pkt(true, ACK, CI + 2, SI + 2, 64240)], // held: delivered if the server stays silent until 250 + 3 × 200 ms
    [endAtMs, other],
  ]));
}

/** A connection, then data on the same ports 2 GB further on in sequence space, without a SYN: an unseen reconnect. */
export function unseenReconnectCapture(): Uint8Array {
  return pcapFile({}, records([
    ...handshake(),
    [30, pkt(true, PSH | ACK, CI + 1, SI + 1, 64240, 100)],
    [40, pkt(false, ACK, SI + 1, CI + 101, 65535)],
    [5000, pkt(true, PSH | ACK, (CI + 2_000_000_000) >>> 0, SI + 1, 64240, 100)],
  ]));
}

/**
 * A capture filter kept only every other data segment of a 20-segment upload (as a BPF expression
 * matching payload bytes does), while the server acknowledged everything: gaps and ACKs of unseen
 * data, no retransmission. With `refill`, the client re-sends the first missing segment after the
 * server's duplicate ACK, as if the network, not the capture, had lost it.
 */
export function filteredCapture(refill = false): Uint8Array {
  const list: Array<[number, Uint8Array]> = [...handshake()];
  let t = 30;
  for (let k = 0; k < 20; k++, t += 10) {
    const seq = CI + 1 + 100 * k;
    if (k % 2 === 0) list.push([t, pkt(true, PSH | ACK, seq, SI + 1, 64240, 100)]);
    if (k % 2 === 1) list.push([t + 5, pkt(false, ACK, SI + 1, seq + 100, 65535)]);
    if (refill && k === 2) {
      list.push([t + 6, pkt(false, ACK, SI + 1, CI + 101, 65535)]); // duplicate ACK: 100 bytes missing
      list.push([t + 7, pkt(true, PSH | ACK, CI + 101, SI + 1, 64240, 100)]); // re-sent
    }
  }
  list.push([t, pkt(true, FIN | ACK, CI + 2001, SI + 1, 64240)], [t + 10, pkt(false, FIN | ACK, SI + 1, CI + 2002, 65535)], [t + 20, pkt(true, ACK, CI + 2002, SI + 2, 64240)]);
  return pcapFile({}, records(list));
}

/**
 * A capture that joins a connection mid-stream: the server re-sends its first captured segment before
 * the client acknowledges anything the capture showed (the first round trip, reference §9.1), then,
 * after that ACK, re-sends a later segment too.
 */
export function midstreamRetransmissionsCapture(): Uint8Array {
  const C0 = CI + 5000, S0 = SI + 9000;
  return pcapFile({}, records([
    [0, pkt(false, PSH | ACK, S0, C0, 65535, 85)],
    [300, pkt(false, PSH | ACK, S0, C0, 65535, 85)], // re-sent in the first round trip
    [310, pkt(true, ACK, C0, S0 + 85, 64240)], // the first ACK of data the capture showed
    [320, pkt(false, PSH | ACK, S0 + 85, C0, 65535, 85)],
    [620, pkt(false, PSH | ACK, S0 + 85, C0, 65535, 85)], // re-sent later
    [630, pkt(true, ACK, C0, S0 + 170, 64240)],
  ]));
}

/**
 * The capture ends while a connection closes: the client's FIN is its last frame (`passive` false), or
 * the server has acknowledged it and sent its own FIN as the last frame (`passive` true).
 */
export function closingAtEndCapture(passive: boolean): Uint8Array {
  const list: Array<[number, Uint8Array]> = [
    ...handshake(),
    [30, pkt(true, PSH | ACK, CI + 1, SI + 1, 64240, 100)],
    [40, pkt(false, PSH | ACK, SI + 1, CI + 101, 65535, 200)],
    [50, pkt(true, FIN | ACK, CI + 101, SI + 201, 64240)],
  ];
  if (passive) list.push([60, pkt(false, ACK, SI + 201, CI + 102, 65535)], [70, pkt(false, FIN | ACK, SI + 201, CI + 102, 65535)]);
  return pcapFile({}, records(list));
}

export const SYNTHETIC: Record<string, () => Uint8Array> = {
  'zero-window-probe': zeroWindowProbeCapture,
  'half-open': halfOpenCapture,
  filtered: () => filteredCapture(false),
  'filtered-refill': () => filteredCapture(true),
  'midstream-retransmissions': midstreamRetransmissionsCapture,
};

/**
 * A client closes first and holds TIME_WAIT; optionally, `reuseAtMs` later, it opens a new connection
 * on the same 4-tuple with a new ISN; another connection's SYN at `endAtMs` sets the capture's end.
 */
export function timeWaitCapture(reuseAtMs: number | null, endAtMs: number): Uint8Array {
  const list: Array<[number, Uint8Array]> = [
    ...handshake(),
    [30, pkt(true, FIN | ACK, CI + 1, SI + 1, 64240)],
    [40, pkt(false, ACK, SI + 1, CI + 2, 65535)],
    [50, pkt(false, FIN | ACK, SI + 1, CI + 2, 65535)],
    [60, pkt(true, ACK, CI + 2, SI + 2, 64240)],
  ];
  if (reuseAtMs !== null) list.push([reuseAtMs, pkt(true, SYN, CI + 5_000_000, 0, 64240)]);
  const other = ether(0x0800, ipv4({ src: '192.0.2.2', dst: S.ip, payload: tcp({ sport: 40000, dport: S.port, seq: 1, flags: SYN, win: 64240 }) }));
  list.push([endAtMs, other]);
  return pcapFile({}, records(list));
}

/**
 * Three connections from client ports 51001–51003, one after the other: the first re-sends one
 * segment three times (notes only), the second meets a zero window (a warning), the third gets its
 * third segment wrong (an error). The fewest findings belong to the worst connection.
 */
export function threeFlowsCapture(): Uint8Array {
  const list: Array<[number, Uint8Array]> = [];
  const flow = (t0: number, port: number, steps: Array<[number, boolean, number, number, number, number, number?]>) => {
    for (const [dt, fromClient, flags, seq, ack, win, len] of steps) list.push([t0 + dt, pkt(fromClient, flags, seq, ack, win, len ?? 0, 1, port)]);
  };
  const open: Array<[number, boolean, number, number, number, number, number?]> = [
    [0, true, SYN, CI, 0, 64240], [10, false, SYN | ACK, SI, CI + 1, 65535], [20, true, ACK, CI + 1, SI + 1, 64240],
  ];
  const close = (at: number, c: number): Array<[number, boolean, number, number, number, number, number?]> => [
    [at, true, FIN | ACK, c, SI + 1, 64240], [at + 10, false, FIN | ACK, SI + 1, c + 1, 65535], [at + 20, true, ACK, c + 1, SI + 2, 64240],
  ];
  flow(0, 51001, [
    ...open,
    [30, true, PSH | ACK, CI + 1, SI + 1, 64240, 100],
    [300, true, PSH | ACK, CI + 1, SI + 1, 64240, 100],
    [900, true, PSH | ACK, CI + 1, SI + 1, 64240, 100],
    [2100, true, PSH | ACK, CI + 1, SI + 1, 64240, 100],
    [2110, false, ACK, SI + 1, CI + 101, 65535],
    ...close(2200, CI + 101),
  ]);
  flow(3000, 51002, [
    ...open,
    [30, true, PSH | ACK, CI + 1, SI + 1, 64240, 100],
    [40, false, ACK, SI + 1, CI + 101, 0],
    [50, false, ACK, SI + 1, CI + 101, 65535],
    ...close(60, CI + 101),
  ]);
  flow(4000, 51003, [
    [0, true, SYN, CI, 0, 64240], [10, false, SYN | ACK, SI, CI + 1, 65535], [20, true, ACK, CI + 1, SI + 4017, 64240],
  ]);
  return pcapFile({}, records(list));
}

/** One connection that sends `n` data segments of 100 bytes (one ACK per 100), then closes. */
export function longTransferCapture(n: number): Uint8Array {
  const list: Array<[number, Uint8Array]> = [...handshake()];
  let seq = CI + 1;
  for (let i = 0; i < n; i++) {
    list.push([30 + i, pkt(true, PSH | ACK, seq, SI + 1, 64240, 100)]);
    seq += 100;
    if (i % 100 === 99) list.push([30 + i, pkt(false, ACK, SI + 1, seq, 65535)]);
  }
  const t = 30 + n;
  list.push([t, pkt(true, FIN | ACK, seq, SI + 1, 64240)], [t + 1, pkt(false, FIN | ACK, SI + 1, seq + 1, 65535)], [t + 2, pkt(true, ACK, seq + 1, SI + 2, 64240)]);
  return pcapFile({}, records(list));
}

/** `n` connection attempts, each a lone SYN from its own client port and address. */
export function manySynsCapture(n: number): Uint8Array {
  const recs: PcapRecord[] = [];
  for (let i = 0; i < n; i++) {
    const data = ether(0x0800, ipv4({ src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, dst: S.ip, id: 1 + (i & 0x7fff),
      payload: tcp({ sport: 1024 + (i % 60000), dport: S.port, seq: CI + i, flags: SYN, win: 64240 }) }));
    recs.push({ sec: 1_700_000_000 + Math.floor(i / 1000), frac: (i % 1000) * 1000, data });
  }
  return pcapFile({}, recs);
}

/**
 * Connection pools that leak: `n` connections whose server closes (idle timeout) and whose client
 * acknowledges the FIN but never closes, so the clients sit in CLOSE_WAIT; the capture runs on for
 * two minutes (a last keep-alive of the first connection ends it).
 */
export function clientCloseWaitCapture(n: number): Uint8Array {
  const list: Array<[number, Uint8Array]> = [];
  for (let k = 0; k < n; k++) {
    const port = 40000 + k, t = k * 100;
    list.push(
      [t, pkt(true, SYN, CI, 0, 64240, 0, 1, port)],
      [t + 1, pkt(false, SYN | ACK, SI, CI + 1, 65535, 0, 1, port)],
      [t + 2, pkt(true, ACK, CI + 1, SI + 1, 64240, 0, 1, port)],
      [t + 10, pkt(true, PSH | ACK, CI + 1, SI + 1, 64240, 100, 1, port)],
      [t + 11, pkt(false, PSH | ACK, SI + 1, CI + 101, 65535, 200, 1, port)],
      [t + 12, pkt(true, ACK, CI + 101, SI + 201, 64240, 0, 1, port)],
      [t + 5000, pkt(false, FIN | ACK, SI + 201, CI + 101, 65535, 0, 1, port)], // the server's idle timeout
      [t + 5001, pkt(true, ACK, CI + 101, SI + 202, 64240, 0, 1, port)], // acknowledged, never closed
    );
  }
  list.sort((a, b) => a[0] - b[0]);
  list.push([120_000, pkt(true, ACK, CI + 100, SI + 202, 64240, 0, 1, 40000)]); // a keep-alive probe two minutes on
  return pcapFile({}, records(list));
}

/**
 * A server left in CLOSE_WAIT for a minute whose stack sends keep-alive probes every 5 s, as BSD and
 * Windows do, with one garbage byte (`oneByte`), or as Linux does, with none.
 */
export function closeWaitKeepAliveCapture(oneByte: boolean): Uint8Array {
  const list: Array<[number, Uint8Array]> = [
    ...handshake(),
    [30, pkt(true, PSH | ACK, CI + 1, SI + 1, 64240, 100)],
    [40, pkt(false, ACK, SI + 1, CI + 101, 65535)],
    [50, pkt(true, FIN | ACK, CI + 101, SI + 1, 64240)],
    [60, pkt(false, ACK, SI + 1, CI + 102, 65535)], // the server acknowledges the FIN: CLOSE_WAIT
  ];
  for (let t = 5_060; t <= 60_060; t += 5_000) {
    list.push([t, pkt(false, ACK, SI, CI + 102, 65535, oneByte ? 1 : 0)], [t + 1, pkt(true, ACK, CI + 102, SI + 1, 64240)]);
  }
  return pcapFile({}, records(list));
}
