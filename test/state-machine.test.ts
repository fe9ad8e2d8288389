import { describe, expect, it } from 'vitest';
import { ACK, FIN, RST, SYN } from '../src/decode/segment.js';
import { Connection, endpointStore, type ReplaySegment } from '../src/tcp/replay.js';
import { seqAdd, seqDiff, seqGe, seqGt, seqLe, seqLt, seqRel } from '../src/tcp/seq.js';
import { EVENTS, STATES, TRANSITIONS, nextState } from '../src/tcp/state-table.js';
import { endsConnectionAttempt } from '../src/tcp/tracker.js';

const S = (name: (typeof STATES)[number]) => STATES.indexOf(name);
const E = (name: (typeof EVENTS)[number]) => EVENTS.indexOf(name);

/** Segment builder: seg(0, 'SA', { seq, ack }) — 0 is the initiator I, 1 the responder R. */
function seg(from: 0 | 1, flags: string, o: { seq?: number; ack?: number; len?: number; frame?: number; t?: number } = {}): ReplaySegment {
  let f = 0;
  for (const ch of flags) f |= ({ S: SYN, A: ACK, F: FIN, R: RST } as Record<string, number>)[ch];
  return { from, frame: o.frame ?? 0, tsSec: o.t ?? 0, tsNsec: 0, flags: f, seq: (o.seq ?? 0) >>> 0, ack: (o.ack ?? 0) >>> 0, len: o.len ?? 0, inferred: false };
}

/** Replay segments; returns both endpoints' shown states after each one, as 'STATE' or 'STATE (P)'. */
function replay(segs: ReplaySegment[]): { conn: Connection; after: string[][] } {
  const conn = new Connection(segs[0], { record: true, store: endpointStore() });
  const after: string[][] = [];
  segs.forEach((s, i) => {
    s.frame = i + 1;
    conn.process(s);
    after.push([0, 1].map((k) => { const d = conn.displayed(k as 0 | 1); return d.state + (d.pending ? ' (P)' : ''); }));
  });
  return { conn, after };
}

const I_ISN = 1000, R_ISN = 5000;
const handshake = [
  seg(0, 'S', { seq: I_ISN }),
  seg(1, 'SA', { seq: R_ISN, ack: I_ISN + 1 }),
  seg(0, 'A', { seq: I_ISN + 1, ack: R_ISN + 1 }),
];

describe('sequence arithmetic (mod 2^32)', () => {
  it('compares across the wrap', () => {
    expect(seqLt(0xfffffff0, 0x10)).toBe(true);
    expect(seqGt(0x10, 0xfffffff0)).toBe(true);
    expect(seqLe(5, 5) && seqGe(5, 5)).toBe(true);
    expect(seqAdd(0xffffffff, 2)).toBe(1);
    expect(seqDiff(0x10, 0xfffffff0)).toBe(0x20);
    expect(seqRel(5, 0xfffffffe)).toBe(7);
  });
});

describe('the state table', () => {
  it('has one row per (state, event) and cites its source', () => {
    const keys = TRANSITIONS.map((t) => `${t.from}×${t.on}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const t of TRANSITIONS) expect(t.ref).toMatch(/^RFC (9293|5961|5461)/);
  });
  it('an ICMP error ends a connection attempt, and nothing else', () => {
    for (const s of STATES) expect(STATES[nextState(S(s), E('RCV_ICMP_ERR'))]).toBe(s === 'SYN_SENT' ? 'CLOSED' : s);
    // Linux gives up on destination unreachable, time exceeded and parameter problem, not on path-MTU messages
    expect([[3, 13], [3, 3], [11, 0], [12, 0], [3, 4], [4, 0], [5, 1]].map(([t, c]) => endsConnectionAttempt(4, t, c)))
      .toEqual([true, true, true, true, false, false, false]);
    expect([[1, 1], [1, 4], [3, 0], [4, 0], [2, 0]].map(([t, c]) => endsConnectionAttempt(6, t, c))).toEqual([true, true, true, true, false]);
  });
  it('an unlisted pair leaves the state unchanged', () => {
    expect(nextState(S('ESTABLISHED'), E('RCV_SYNACK_OK'))).toBe(S('ESTABLISHED'));
    expect(nextState(S('CLOSED'), E('RCV_FIN'))).toBe(S('CLOSED'));
  });
  it('RST and ABORT close every state', () => {
    for (const s of STATES) {
      expect(STATES[nextState(S(s), E('SND_RST'))]).toBe('CLOSED');
      expect(STATES[nextState(S(s), E('ABORT'))]).toBe('CLOSED');
    }
  });
});

// ---------------------------------------------------------------- by state, as smoltcp groups its tests

describe('CLOSED / LISTEN', () => {
  it('a SYN moves the initiator to SYN_SENT; the responder is SYN_RCVD only while pending', () => {
    const { after } = replay([handshake[0]]);
    expect(after[0]).toEqual(['SYN_SENT', 'SYN_RCVD (P)']);
  });
  it('connection refused: RST+ACK acknowledging ISN+1 closes the initiator; the responder had no listener', () => {
    const { after } = replay([seg(0, 'S', { seq: I_ISN }), seg(1, 'RA', { seq: 0, ack: I_ISN + 1 })]);
    expect(after[1]).toEqual(['CLOSED', 'CLOSED']);
  });
  it('a SYN nobody answers leaves the responder in LISTEN at the end (rule 5)', () => {
    const { conn } = replay([seg(0, 'S', { seq: I_ISN }), seg(0, 'S', { seq: I_ISN, t: 1 })]);
    conn.finish(10, 0, 60);
    expect([STATES[conn.ep[0].state], STATES[conn.ep[1].state]]).toEqual(['SYN_SENT', 'LISTEN']);
  });
});

describe('SYN_SENT', () => {
  it('a SYN+ACK with the right ack: ESTABLISHED once the initiator acknowledges it (§6.7)', () => {
    const { after } = replay(handshake);
    expect(after).toEqual([
      ['SYN_SENT', 'SYN_RCVD (P)'],
      ['ESTABLISHED (P)', 'SYN_RCVD'],
      ['ESTABLISHED', 'ESTABLISHED'],
    ]);
  });
  it('a RST without ACK is not acceptable: the initiator stays SYN_SENT', () => {
    const { after } = replay([seg(0, 'S', { seq: I_ISN }), seg(1, 'R', { seq: 0 })]);
    expect(after[1][0]).toBe('SYN_SENT');
  });
  it('a SYN+ACK lost after the capture point: the retransmitted SYN contradicts it (§6.7)', () => {
    const { conn, after } = replay([
      seg(0, 'S', { seq: I_ISN }),
      seg(1, 'SA', { seq: R_ISN, ack: I_ISN + 1 }),
      seg(0, 'S', { seq: I_ISN }),
      seg(1, 'SA', { seq: R_ISN, ack: I_ISN + 1 }),
    ]);
    expect(after.map((a) => a[0])).toEqual(['SYN_SENT', 'ESTABLISHED (P)', 'SYN_SENT', 'SYN_SENT']);
    conn.finish(10, 0, 60);
    expect([STATES[conn.ep[0].state], STATES[conn.ep[1].state]]).toEqual(['SYN_SENT', 'SYN_RCVD']);
  });
  it('simultaneous open: both SYNs cross, both go through SYN_RCVD to ESTABLISHED', () => {
    const { conn } = replay([
      seg(0, 'S', { seq: I_ISN }),
      seg(1, 'S', { seq: R_ISN }),
      seg(0, 'SA', { seq: I_ISN, ack: R_ISN + 1 }),
      seg(1, 'SA', { seq: R_ISN, ack: I_ISN + 1 }),
    ]);
    const path = (i: number) => conn.transitions!.filter((t) => t.endpoint === i).map((t) => t.to);
    expect(path(0)).toEqual(['SYN_SENT', 'SYN_RCVD', 'ESTABLISHED']);
    expect(path(1)).toEqual(['SYN_SENT', 'SYN_RCVD', 'ESTABLISHED']);
  });
  it('an ACK from SYN_SENT implies the SYN+ACK the capture missed (rule 8b)', () => {
    const { conn, after } = replay([seg(0, 'S', { seq: I_ISN }), seg(0, 'A', { seq: I_ISN + 1, ack: R_ISN + 1 })]);
    expect(after[1]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(conn.inferredSegments).toBeGreaterThan(0);
  });
});

describe('SYN_RCVD', () => {
  it('a capture starting with the SYN+ACK infers the SYN (rule 8a)', () => {
    const { conn, after } = replay([seg(1, 'SA', { seq: R_ISN, ack: I_ISN + 1 }), seg(0, 'A', { seq: I_ISN + 1, ack: R_ISN + 1 })]);
    expect(conn.initiator).toBe(0);
    expect(after[1]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
  });
  it('a RST from the initiator before the third ACK aborts the handshake', () => {
    const { after } = replay([...handshake.slice(0, 2), seg(0, 'R', { seq: I_ISN + 1 })]);
    expect(after[2]).toEqual(['CLOSED', 'CLOSED']);
  });
});

const established = [...handshake];
const iFin = (o = {}) => seg(0, 'FA', { seq: I_ISN + 1, ack: R_ISN + 1, ...o });
const rFin = (o = {}) => seg(1, 'FA', { seq: R_ISN + 1, ack: I_ISN + 2, ...o });

describe('ESTABLISHED → the four-way close', () => {
  it('normal close (§6.7): active closer ends in TIME_WAIT, passive closer in CLOSED', () => {
    const { after } = replay([
      ...established,
      iFin(),
      seg(1, 'A', { seq: R_ISN + 1, ack: I_ISN + 2 }),
      rFin(),
      seg(0, 'A', { seq: I_ISN + 2, ack: R_ISN + 2 }),
    ]);
    expect(after.slice(3)).toEqual([
      ['FIN_WAIT_1', 'CLOSE_WAIT (P)'],
      ['FIN_WAIT_2', 'CLOSE_WAIT'],
      ['TIME_WAIT (P)', 'LAST_ACK'],
      ['TIME_WAIT', 'CLOSED'],
    ]);
  });
  it('three-segment close: a FIN+ACK that acknowledges the FIN goes FIN_WAIT_1 → FIN_WAIT_2 → TIME_WAIT', () => {
    const { conn } = replay([...established, iFin(), rFin(), seg(0, 'A', { seq: I_ISN + 2, ack: R_ISN + 2 })]);
    expect(conn.transitions!.filter((t) => t.endpoint === 0).map((t) => t.to)).toEqual(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT']);
    expect(conn.transitions!.filter((t) => t.endpoint === 1).map((t) => t.to)).toEqual(['SYN_RCVD', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSED']);
  });
});

describe('FIN_WAIT_1 / CLOSING: crossing FINs (simultaneous close)', () => {
  const crossing = (order: 'I-first' | 'R-first') => {
    const a = seg(0, 'FA', { seq: I_ISN + 1, ack: R_ISN + 1 }); // does not acknowledge R's FIN
    const b = seg(1, 'FA', { seq: R_ISN + 1, ack: I_ISN + 1 }); // does not acknowledge I's FIN
    const fins = order === 'I-first' ? [a, b] : [b, a];
    return replay([
      ...established, ...fins,
      seg(0, 'A', { seq: I_ISN + 2, ack: R_ISN + 2 }),
      seg(1, 'A', { seq: R_ISN + 2, ack: I_ISN + 2 }),
    ]);
  };
  for (const order of ['I-first', 'R-first'] as const) {
    it(`both go through CLOSING to TIME_WAIT, whatever the capture order (${order})`, () => {
      const { conn, after } = crossing(order);
      expect(after[after.length - 1]).toEqual(['TIME_WAIT', 'TIME_WAIT']);
      // each side is shown in CLOSING after the peer's FIN (pending until acknowledged), never CLOSE_WAIT
      for (const i of [0, 1]) {
        expect(after.some((a) => a[i].startsWith('CLOSING'))).toBe(true);
        const path = conn.transitions!.filter((t) => t.endpoint === i).map((t) => t.to);
        expect(path).not.toContain('CLOSE_WAIT');
        expect(path).not.toContain('LAST_ACK');
      }
      expect([conn.firstFinAcksPeer(0), conn.firstFinAcksPeer(1)]).toEqual([false, false]);
    });
  }
  it('§6.7 worked example, frame by frame', () => {
    const { after } = crossing('I-first');
    expect(after.slice(3)).toEqual([
      ['FIN_WAIT_1', 'CLOSE_WAIT (P)'],
      ['CLOSING (P)', 'CLOSING (P)'],
      ['CLOSING', 'TIME_WAIT (P)'],
      ['TIME_WAIT', 'TIME_WAIT'],
    ]);
  });
});

describe('LAST_ACK', () => {
  it('a final ACK never seen: the passive closer stays LAST_ACK, the active closer TIME_WAIT unconfirmed', () => {
    const { conn } = replay([...established, iFin(), seg(1, 'A', { seq: R_ISN + 1, ack: I_ISN + 2 }), rFin(), rFin({ t: 1 })]);
    conn.finish(5, 0, 60);
    expect([STATES[conn.ep[0].state], STATES[conn.ep[1].state]]).toEqual(['TIME_WAIT', 'LAST_ACK']);
  });
  it('a final ACK seen but followed by a retransmitted FIN is taken back (rule 4)', () => {
    const { conn, after } = replay([
      ...established, iFin(), seg(1, 'A', { seq: R_ISN + 1, ack: I_ISN + 2 }), rFin(),
      seg(0, 'A', { seq: I_ISN + 2, ack: R_ISN + 2 }), rFin({ t: 1 }),
    ]);
    expect(after[6][1]).toBe('CLOSED');
    expect(after[7][1]).toBe('LAST_ACK');
    expect(conn.transitions!.some((t) => t.revert)).toBe(true);
  });
});

describe('CLOSE_WAIT', () => {
  it('a server that never closes stays in CLOSE_WAIT; its peer in FIN_WAIT_2', () => {
    const { conn } = replay([...established, iFin(), seg(1, 'A', { seq: R_ISN + 1, ack: I_ISN + 2 })]);
    conn.finish(100, 0, 60);
    expect([STATES[conn.ep[0].state], STATES[conn.ep[1].state]]).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
  });
  it('half-close: data still flows from the passive side after the peer FIN', () => {
    const { after } = replay([...established, iFin(), seg(1, 'A', { seq: R_ISN + 1, ack: I_ISN + 2, len: 500 })]);
    expect(after[4]).toEqual(['FIN_WAIT_2', 'CLOSE_WAIT']);
  });
});

describe('TIME_WAIT', () => {
  const closed = [...established, iFin(), seg(1, 'A', { seq: R_ISN + 1, ack: I_ISN + 2 }), rFin(), seg(0, 'A', { seq: I_ISN + 2, ack: R_ISN + 2, t: 10 })];
  it('expires after time-wait-len at the end of the capture (TIMEOUT_TW)', () => {
    const a = replay(closed).conn;
    a.finish(69, 0, 60);
    expect(STATES[a.ep[0].state]).toBe('TIME_WAIT');
    const b = replay(closed).conn;
    b.finish(71, 0, 60);
    expect(STATES[b.ep[0].state]).toBe('CLOSED');
    expect(b.transitions!.at(-1)?.event).toBe('TIMEOUT_TW');
  });
  it('an acceptable RST closes it (Linux default)', () => {
    const { after } = replay([...closed, seg(1, 'R', { seq: R_ISN + 2 })]);
    expect(after.at(-1)![0]).toBe('CLOSED');
  });
});

describe('RST in synchronized states', () => {
  it('a RST at the expected sequence number resets both sides', () => {
    const { after } = replay([...established, seg(1, 'RA', { seq: R_ISN + 1, ack: I_ISN + 1 })]);
    expect(after[3]).toEqual(['CLOSED', 'CLOSED']);
  });
  it('a RST elsewhere in sequence space is not accepted', () => {
    const { after } = replay([...established, seg(1, 'R', { seq: R_ISN + 9999 })]);
    expect(after[3]).toEqual(['ESTABLISHED', 'CLOSED']);
  });
  it('the RST receiver that keeps sending was never reset (rule 4)', () => {
    const { after } = replay([...established, seg(1, 'RA', { seq: R_ISN + 1, ack: I_ISN + 1 }), seg(0, 'A', { seq: I_ISN + 1, ack: R_ISN + 1, len: 10 })]);
    expect(after[4][0]).toBe('ESTABLISHED');
  });
});

describe('mid-stream and one-sided', () => {
  it('no SYN: both start ESTABLISHED, assumed', () => {
    const { conn, after } = replay([seg(0, 'A', { seq: 77, ack: 88, len: 10 })]);
    expect(after[0]).toEqual(['ESTABLISHED', 'ESTABLISHED']);
    expect(conn.midstream).toBe(true);
    expect(conn.ep.every((e) => e.assumed)).toBe(true);
  });
  it('one-sided capture (§6.7): the silent side is rebuilt from the other side\'s numbers', () => {
    const { conn } = replay([
      seg(0, 'S', { seq: I_ISN }),
      seg(0, 'A', { seq: I_ISN + 1, ack: R_ISN + 1 }),
      seg(0, 'A', { seq: I_ISN + 1, ack: R_ISN + 1001 }), // acknowledges 1000 bytes of the responder's data
      seg(0, 'FA', { seq: I_ISN + 1, ack: R_ISN + 1002 }), // one more: the responder's FIN (rule 8c)
    ]);
    conn.finish(1, 0, 60);
    expect([STATES[conn.ep[0].state], STATES[conn.ep[1].state]]).toEqual(['CLOSED', 'TIME_WAIT']);
  });
});
