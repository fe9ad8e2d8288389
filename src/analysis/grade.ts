/**
 * Grading student captures: the built-in `tcp-lifecycle` rubric checks the handshake, the
 * options, the data transfer, the teardown and TIME_WAIT by replaying the same state table as
 * every other command, and cites frames and states in its feedback.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError } from '../capture/frame.js';
import { looksLikeCapture } from '../capture/reader.js';
import { ACK, FIN, RST, SYN } from '../decode/segment.js';
import { formatEndpoint } from '../report/addr.js';
import type { WatchedSegment } from '../tcp/tracker.js';
import { analyzeCapture } from './analyze.js';
import { PeerPorts, clientIndexOf, flowReport, trackCapture, type FlowReport } from './flows.js';
import { feedback, type Lang } from './grade-text.js';

/** The checks of the built-in rubric, their parts and default points (100 in all). */
export const CHECKS = {
  'capture-complete': { points: 5, parts: { 'from-syn': 5 }, params: [] },
  handshake: { points: 25, parts: { syn: 5, 'synack-ack': 10, 'third-ack': 10 }, params: [] },
  options: { points: 5, parts: { mss: 5 }, params: [] },
  data: { points: 15, parts: { 'both-directions': 5, 'no-gap': 10 }, params: ['minBytes'] },
  teardown: { points: 25, parts: { 'fin-client': 5, 'fin-server': 5, 'fin-acked-client': 5, 'fin-acked-server': 5, 'closer-identified': 5 }, params: [] },
  'time-wait': { points: 10, parts: { 'active-time-wait': 5, 'passive-last-ack': 5 }, params: [] },
  clean: { points: 15, parts: { 'no-rst': 10, 'no-retransmission': 5 }, params: ['maxRetransmissions'] },
} as const;
export type CheckId = keyof typeof CHECKS;

export interface RubricItem {
  check: CheckId;
  points: number;
  params: Record<string, number>;
}

export interface Rubric {
  name: string;
  items: RubricItem[];
}

export const BUILTIN_RUBRIC: Rubric = {
  name: 'tcp-lifecycle',
  items: (Object.keys(CHECKS) as CheckId[]).map((check) => ({ check, points: CHECKS[check].points, params: {} })),
};

/** A rubric file that cannot be used: the message names the file and the bad key. */
export class RubricError extends Error {}

/** Read and validate a custom rubric (JSON): `{ "name": "...", "items": [ { "check": "handshake", "points": 30, "params": {...} } ] }`. */
export function loadRubric(path: string): Rubric {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RubricError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not valid JSON (${(e as Error).message})`}`);
  }
  const bad = (where: string, why: string): never => { throw new RubricError(`${path}: ${where}: ${why}`); };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('(top level)', 'expected an object with "name" and "items"');
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'name' && k !== 'items') bad(k, 'unknown key (expected "name" and "items")');
  const name = top.name ?? 'custom';
  if (typeof name !== 'string') bad('name', 'expected a string');
  if (!Array.isArray(top.items) || top.items.length === 0) bad('items', 'expected a non-empty array of checks');
  const items: RubricItem[] = (top.items as unknown[]).map((it, i) => {
    const at = `items[${i}]`;
    if (typeof it !== 'object' || it === null || Array.isArray(it)) bad(at, 'expected an object with "check" and "points"');
    const o = it as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!['check', 'points', 'params'].includes(k)) bad(`${at}.${k}`, 'unknown key (expected "check", "points", "params")');
    if (typeof o.check !== 'string' || !(o.check in CHECKS)) bad(`${at}.check`, `unknown check ${JSON.stringify(o.check)} (known: ${Object.keys(CHECKS).join(', ')})`);
    const check = o.check as CheckId;
    const points = o.points ?? CHECKS[check].points;
    if (typeof points !== 'number' || !Number.isFinite(points) || points < 0) bad(`${at}.points`, 'expected a number, 0 or more');
    const params: Record<string, number> = {};
    if (o.params !== undefined) {
      if (typeof o.params !== 'object' || o.params === null || Array.isArray(o.params)) bad(`${at}.params`, 'expected an object');
      for (const [k, v] of Object.entries(o.params as Record<string, unknown>)) {
        if (!(CHECKS[check].params as readonly string[]).includes(k)) bad(`${at}.params.${k}`, `unknown parameter of ${check} (known: ${CHECKS[check].params.join(', ') || 'none'})`);
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(`${at}.params.${k}`, 'expected a number, 0 or more');
        params[k] = v as number;
      }
    }
    return { check, points: points as number, params };
  });
  return { name: name as string, items };
}

export interface ItemResult {
  check: CheckId;
  points: number;
  max: number;
  /** Points per part. */
  parts: Record<string, { points: number; max: number }>;
  feedback: string[];
}

/** What a lab asks students to find, read off the graded connection. */
export interface LabFacts {
  isn: { client: number | null; server: number | null };
  handshakeRtt: number | null;
  mss: { client: number | null; server: number | null };
  windowScale: { client: number; server: number } | null;
  sackPermitted: boolean;
  timestamps: boolean;
  initialWindow: { client: number | null; server: number | null };
  bytes: { c2s: number; s2c: number };
  /** Payload bytes per second over the connection's duration, both ways. */
  throughput: number | null;
  frames: { syn: number | null; synAck: number | null; ack: number | null; finClient: number | null; finServer: number | null; lastAck: number | null };
  closedBy: string | null;
  states: { client: string; server: string };
}

export interface Grade {
  file: string;
  rubric: string;
  total: number;
  max: number;
  /** The graded connection (Wireshark tcp.stream id), or null when there was none to grade. */
  flow: number | null;
  /** Why this connection, or why there is no grade. */
  reason: string;
  items: ItemResult[];
  facts: LabFacts | null;
  /** Another submission holding the same connection (same ISNs and SYN time). */
  duplicateOf: string | null;
}

export interface GradeOptions {
  rubric: Rubric;
  host?: string;
  port?: number;
  lang: Lang;
}

/** A connection's completeness, to pick the one a student meant to capture. */
function completeness(f: FlowReport): number {
  const h = f.history;
  let s = 0;
  for (const [ch, w] of [['S', 10], ['h', 10], ['A', 4], ['D', 4], ['d', 4], ['F', 4], ['f', 4]] as const) if (h.includes(ch)) s += w;
  if (f.connState === 'SF') s += 10;
  if (h.includes('R') || h.includes('r')) s -= 3;
  return s;
}

/**
 * Files to grade: the files given, and inside the directories given (sorted) those named or shaped
 * like captures; `skipped` lists the other files of those directories.
 */
export function expandInputs(inputs: string[]): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  for (const p of inputs) {
    let st;
    try { st = statSync(p); } catch { files.push(p); continue; }
    if (st.isDirectory()) {
      // a directory's submissions: the files named or shaped like captures (a notes file or a README is no submission;
      // a capture misnamed .txt still is, and a file named .pcap that is not one gets 0 and the reason)
      for (const f of readdirSync(p).sort()) {
        const full = join(p, f);
        try { if (!statSync(full).isFile()) continue; } catch { continue; /* vanished */ }
        if (looksLikeCapture(full)) files.push(full);
        else skipped.push(full);
      }
    } else {
      files.push(p);
    }
  }
  return { files, skipped };
}

const zero = (file: string, rubric: Rubric, reason: string): Grade => ({
  file, rubric: rubric.name, total: 0, max: rubric.items.reduce((a, i) => a + i.points, 0), flow: null, reason, items: [], facts: null, duplicateOf: null,
});

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Grade one submission. Never throws for a bad submission: it gets 0 points and the reason. */
export async function gradeFile(file: string, o: GradeOptions): Promise<Grade & { key: string | null }> {
  const t = feedback(o.lang);
  let a;
  try {
    a = await analyzeCapture(file);
  } catch (e) {
    if (e instanceof CaptureError) return { ...zero(file, o.rubric, t.notACapture(e.message)), key: null };
    throw e;
  }
  const count = a.set.count;
  if (count === 0) return { ...zero(file, o.rubric, t.noTcp(a.set.stats.frames, a.set.stats.notDecoded.encrypted ?? 0)), key: null };
  const match = (f: FlowReport) =>
    (o.port === undefined || f.server.port === o.port || f.client.port === o.port) &&
    (o.host === undefined || f.server.ip === o.host || f.client.ip === o.host);
  // the most complete connection (the first of the largest among equals), one flow report at a time:
  // a submission can be a capture of half a million connections
  let best: FlowReport | null = null, bestScore = 0;
  for (const f of a.set.flows()) {
    if (!match(f)) continue;
    const score = completeness(f);
    if (best === null || score > bestScore || (score === bestScore && f.packets > best.packets)) { best = f; bestScore = score; }
  }
  if (best === null) return { ...zero(file, o.rubric, t.noMatch(o.host, o.port, count)), key: null };
  const filtered = o.host !== undefined || o.port !== undefined;
  const reason = t.picked(best.id, formatEndpoint(best.client.ip, best.client.port),
    formatEndpoint(best.server.ip, best.server.port), filtered, count);

  // replay once more, watching the chosen connection segment by segment (and keeping its transitions only)
  const rows: WatchedSegment[] = [];
  const { tracker } = await trackCapture(file, { watch: { stream: best.id, onSegment: (r) => rows.push(r) } });
  const st = tracker.streams[best.id];
  const peers = st.client < 0 ? new PeerPorts(tracker.streams) : null;
  const client = clientIndexOf(st, peers);
  const flow = flowReport(st, peers, true);
  const findings = a.findingsOf(best.id);
  const g = gradeFlow(flow, rows, client, findings.map((x) => ({ kind: x.kind, frame: x.frame })), o);
  const total = round2(g.items.reduce((s, i) => s + i.points, 0));
  const max = round2(g.items.reduce((s, i) => s + i.max, 0));
  const key = g.facts.isn.client !== null && g.facts.isn.server !== null ? `${g.facts.isn.client}:${g.facts.isn.server}:${flow.firstTs}` : null;
  return { file, rubric: o.rubric.name, total, max, flow: best.id, reason, items: g.items, facts: g.facts, duplicateOf: null, key };
}

/** Score one connection from its segments, transitions and findings. */
export function gradeFlow(flow: FlowReport, rows: WatchedSegment[], client: 0 | 1, findings: Array<{ kind: string; frame: number | null }>, o: GradeOptions):
  { items: ItemResult[]; facts: LabFacts } {
  const t = feedback(o.lang);
  const fromClient = (r: WatchedSegment) => r.from === client;
  const has = (r: WatchedSegment, f: number) => (r.flags & f) === f;
  const syn = rows.find((r) => fromClient(r) && has(r, SYN) && !has(r, ACK)) ?? null;
  const synAck = rows.find((r) => !fromClient(r) && has(r, SYN | ACK)) ?? null;
  const third = synAck === null ? null : rows.find((r) => fromClient(r) && r.frame > synAck.frame && has(r, ACK) && !has(r, SYN)) ?? null;
  const finC = rows.find((r) => fromClient(r) && has(r, FIN)) ?? null;
  const finS = rows.find((r) => !fromClient(r) && has(r, FIN)) ?? null;
  const finSeq = (r: WatchedSegment) => (r.seq + r.len + (has(r, SYN) ? 1 : 0)) >>> 0;
  const ackOf = (fin: WatchedSegment | null, byClient: boolean) =>
    fin === null ? null : rows.find((r) => fromClient(r) === byClient && r.frame > fin.frame && has(r, ACK) && r.ack === ((finSeq(fin) + 1) >>> 0)) ?? null;
  const ackFinC = ackOf(finC, false), ackFinS = ackOf(finS, true);
  const rsts = rows.filter((r) => has(r, RST));
  const retx = findings.filter((x) => x.kind === 'retransmission' || x.kind === 'fast-retransmission' || x.kind === 'spurious-retransmission');
  const gaps = findings.filter((x) => x.kind === 'previous-segment-lost' || x.kind === 'acked-unseen');
  const side = (i: 0 | 1) => (i === client ? 'client' : 'server');
  const path = (who: 'client' | 'server') => {
    const ts = (flow.transitions ?? []).filter((x) => x.endpoint === who && !x.revert);
    return ts.length === 0 ? flow.finalState[who] : [ts[0].from, ...ts.map((x) => x.to)].join('→');
  };
  const transitions = flow.transitions ?? [];
  const activeWho = flow.closedBy === 'client' || flow.closedBy === 'server' ? flow.closedBy : null;
  const passiveWho = activeWho === 'client' ? 'server' : activeWho === 'server' ? 'client' : null;

  const items: ItemResult[] = [];
  for (const item of o.rubric.items) {
    const def = CHECKS[item.check];
    const scale = item.points / def.points;
    const parts: ItemResult['parts'] = {};
    const fb: string[] = [];
    const part = (name: string, ok: boolean) => {
      const max = round2((def.parts as Record<string, number>)[name] * scale);
      parts[name] = { points: ok ? max : 0, max };
    };
    switch (item.check) {
      case 'capture-complete': {
        const ok = !flow.partial && syn !== null && rows[0]?.frame === syn.frame;
        part('from-syn', ok);
        fb.push(ok ? t.completeOk(syn!.frame) : t.completeNo(rows[0]?.frame ?? null));
        break;
      }
      case 'handshake': {
        part('syn', syn !== null);
        const okSa = syn !== null && synAck !== null && synAck.ack === ((syn.seq + 1) >>> 0);
        part('synack-ack', okSa);
        const okThird = synAck !== null && third !== null && third.ack === ((synAck.seq + 1) >>> 0);
        part('third-ack', okThird);
        // the RST that ended the handshake, if one did
        const refusedBy = syn !== null && synAck === null ? rsts.find((r) => !fromClient(r) && r.frame > syn.frame) ?? null : null;
        const resetBy = synAck !== null && third === null ? rsts.find((r) => r.frame > synAck.frame) ?? null : null;
        if (syn === null) fb.push(t.noSyn());
        else if (synAck === null) fb.push(refusedBy !== null ? t.refused(syn.frame, refusedBy.frame, flow.finalState.client) : t.noSynAck(syn.frame, flow.finalState.client));
        else if (!okSa) fb.push(t.badSynAck(synAck.frame, (synAck.ack - syn.seq) >>> 0));
        else if (third === null) fb.push(resetBy !== null ? t.handshakeReset(synAck.frame, resetBy.frame, side(resetBy.from), flow.finalState.server) : t.noThird(synAck.frame, flow.finalState.server));
        else if (!okThird) fb.push(t.badThird(third.frame, (third.ack - synAck.seq) >>> 0));
        else fb.push(t.handshakeOk(syn.frame, synAck.frame, third.frame, syn.seq, synAck.seq, path('client'), path('server')));
        fb.push(t.whyHandshake());
        break;
      }
      case 'options': {
        const m = flow.options.mss;
        part('mss', m.client !== null && m.server !== null);
        fb.push(m.client !== null && m.server !== null ? t.optionsOk(m.client, m.server, flow.options.windowScale, flow.options.sackPermitted, flow.options.timestamps)
          : t.optionsNo(m.client, m.server));
        break;
      }
      case 'data': {
        const min = item.params.minBytes ?? 1;
        const both = flow.c2s.payloadBytes >= min && flow.s2c.payloadBytes >= min;
        part('both-directions', both);
        part('no-gap', gaps.length === 0 && both);
        fb.push(both ? t.dataBoth(flow.c2s.payloadBytes, flow.s2c.payloadBytes) : t.dataOneWay(flow.c2s.payloadBytes, flow.s2c.payloadBytes));
        if (gaps.length > 0) fb.push(t.gaps(gaps.map((x) => x.frame ?? 0)));
        break;
      }
      case 'teardown': {
        part('fin-client', finC !== null);
        part('fin-server', finS !== null);
        part('fin-acked-client', ackFinC !== null);
        part('fin-acked-server', ackFinS !== null);
        part('closer-identified', flow.closedBy !== null && finC !== null && finS !== null);
        if (finC === null && finS === null) fb.push(rsts.length > 0 ? t.noFinReset(rsts[0].frame, side(rsts[0].from)) : t.noFin(flow.finalState.client, flow.finalState.server));
        else {
          for (const [who, fin, ack] of [['client', finC, ackFinC], ['server', finS, ackFinS]] as const) {
            if (fin === null) fb.push(t.finMissing(who, flow.finalState[who]));
            else if (ack === null) fb.push(t.finNotAcked(who, fin.frame, finSeq(fin) - (who === 'client' ? syn?.seq ?? 0 : synAck?.seq ?? 0)));
            else fb.push(t.finAcked(who, fin.frame, ack.frame));
          }
          if (flow.closedBy !== null && finC !== null && finS !== null) fb.push(t.closer(flow.closedBy));
        }
        fb.push(t.whyTeardown());
        break;
      }
      case 'time-wait': {
        const reached = (who: 'client' | 'server', to: string) => transitions.some((x) => x.endpoint === who && x.to === to && !x.revert);
        const lastAckToClosed = (who: 'client' | 'server') => transitions.some((x) => x.endpoint === who && x.from === 'LAST_ACK' && x.to === 'CLOSED' && !x.revert);
        if (flow.closedBy === 'simultaneous') {
          const ok = reached('client', 'TIME_WAIT') && reached('server', 'TIME_WAIT');
          part('active-time-wait', ok);
          part('passive-last-ack', ok);
          fb.push(t.simultaneousTw(ok));
        } else if (activeWho !== null && passiveWho !== null) {
          const a1 = reached(activeWho, 'TIME_WAIT'), p1 = lastAckToClosed(passiveWho);
          part('active-time-wait', a1);
          part('passive-last-ack', p1);
          fb.push(t.timeWait(activeWho, a1, path(activeWho), passiveWho, p1, path(passiveWho)));
        } else {
          part('active-time-wait', false);
          part('passive-last-ack', false);
          fb.push(t.noClose());
        }
        fb.push(t.whyTimeWait());
        break;
      }
      case 'clean': {
        part('no-rst', rsts.length === 0);
        const maxRetx = item.params.maxRetransmissions ?? 0;
        part('no-retransmission', retx.length <= maxRetx);
        if (rsts.length > 0) fb.push(t.rst(rsts.map((r) => r.frame), side(rsts[0].from)));
        if (retx.length > maxRetx) fb.push(t.retx(retx.map((x) => x.frame ?? 0)));
        if (rsts.length === 0 && retx.length <= maxRetx) fb.push(t.cleanOk());
        break;
      }
    }
    const points = round2(Object.values(parts).reduce((s, p) => s + p.points, 0));
    items.push({ check: item.check, points, max: round2(item.points), parts, feedback: fb });
  }

  const dur = Number(flow.lastTs) - Number(flow.firstTs);
  const facts: LabFacts = {
    isn: { client: syn?.seq ?? null, server: synAck?.seq ?? null },
    handshakeRtt: flow.handshake.rtt,
    mss: flow.options.mss,
    windowScale: flow.options.windowScale,
    sackPermitted: flow.options.sackPermitted,
    timestamps: flow.options.timestamps,
    initialWindow: { client: syn?.window ?? null, server: synAck?.window ?? null },
    bytes: { c2s: flow.c2s.payloadBytes, s2c: flow.s2c.payloadBytes },
    throughput: dur > 0 ? Math.round((flow.c2s.payloadBytes + flow.s2c.payloadBytes) / dur) : null,
    frames: {
      syn: syn?.frame ?? null, synAck: synAck?.frame ?? null, ack: third?.frame ?? null,
      finClient: finC?.frame ?? null, finServer: finS?.frame ?? null,
      lastAck: (activeWho === 'client' ? ackFinS : activeWho === 'server' ? ackFinC : null)?.frame ?? null,
    },
    closedBy: flow.closedBy,
    states: { client: flow.finalState.client, server: flow.finalState.server },
  };
  return { items, facts };
}

/** Grade every submission; two holding the same connection are flagged. */
export async function gradeAll(files: string[], o: GradeOptions): Promise<Grade[]> {
  const out: Grade[] = [];
  const seen = new Map<string, string>();
  const t = feedback(o.lang);
  for (const f of files) {
    const g = await gradeFile(f, o);
    const { key, ...grade } = g;
    if (key !== null) {
      const other = seen.get(key);
      if (other !== undefined) {
        grade.duplicateOf = other;
        grade.reason += ` ${t.duplicate(other)}`;
        const first = out.find((x) => x.file === other);
        if (first && first.duplicateOf === null) { first.duplicateOf = f; first.reason += ` ${t.duplicate(f)}`; }
      } else {
        seen.set(key, f);
      }
    }
    out.push(grade);
  }
  return out;
}
