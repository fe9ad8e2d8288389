/**
 * Grading student captures: the built-in `tcp-lifecycle` rubric checks the handshake, the
 * options, the data transfer, the teardown and TIME_WAIT by replaying the same state table as
 * every other command, and cites frames and states in its feedback.
 */
import { openSync, readSync, closeSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CaptureError } from '../capture/frame.js';
import { archiveOf, looksLikeCapture } from '../capture/reader.js';
import { ACK, FIN, RST, SYN } from '../decode/segment.js';
import { canonicalIp, formatEndpoint } from '../report/addr.js';
import type { WatchedSegment } from '../tcp/tracker.js';
import { analyzeCapture } from './analyze.js';
import { PeerPorts, clientIndexOf, flowReport, trackCapture, type FlowReport } from './flows.js';
import { feedback, type Lang, type NotReadable } from './grade-text.js';

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
  items.forEach((it, i) => {
    const j = items.findIndex((x) => x.check === it.check);
    if (j < i) bad(`items[${i}].check`, `"${it.check}" already used by items[${j}] (give each check once, with all its points)`);
  });
  return { name: name as string, items };
}

/**
 * The points of each part of a check worth `points` in all: the check's default parts scaled, in
 * hundredths, the rounding remainders given to the parts that lost most to rounding, so the parts
 * always add up to the check's points (rounded to hundredths).
 */
export function partPoints(check: CheckId, points: number): Record<string, number> {
  const def = CHECKS[check];
  const total = Math.round(points * 100);
  const entries = Object.entries(def.parts as Record<string, number>);
  const exact = entries.map(([, p]) => (p * total) / def.points);
  const cents = exact.map(Math.floor);
  let left = total - cents.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - cents[i], i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) { if (left <= 0) break; cents[i]++; left--; }
  return Object.fromEntries(entries.map(([name], i) => [name, cents[i] / 100]));
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
  /** When the file is damaged or cut short: where, and that only the frames before it were graded; else null. */
  damage: string | null;
  items: ItemResult[];
  facts: LabFacts | null;
  /** Another submission holding the same connection (same ISNs and SYN time). */
  duplicateOf: string | null;
  /** What the reader warned about the file (a damaged or cut-short file above all), with frame and byte offset. */
  warnings: string[];
}

export interface GradeOptions {
  rubric: Rubric;
  /** Grade the connection with this address (any usual spelling, see canonicalIp). */
  host?: string;
  port?: number;
  lang: Lang;
}

/** A finding of the graded connection, as the rubric reads it. */
export interface GradeFinding {
  kind: string;
  variant: string | null;
  frame: number | null;
  data?: Record<string, unknown>;
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

/** Folders not searched for submissions: hidden ones, and the resource forks macOS adds to zip files. */
const SKIP_DIR = (name: string) => name.startsWith('.') || name === '__MACOSX';
/** How deep folders of submissions are searched (a learning platform's download puts each student's files in a folder or two). */
const MAX_DEPTH = 8;

/**
 * Files to grade: the files given, and inside the directories given (and their sub-folders, sorted)
 * those named or shaped like captures; `skipped` lists the other files of those directories. A file
 * reached twice (given twice, or through a link) is graded once.
 */
export function expandInputs(inputs: string[]): { files: string[]; skipped: string[] } {
  const files: string[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  const real = (p: string) => { try { return realpathSync(p); } catch { return p; } };
  const add = (p: string) => { const r = real(p); if (!seen.has(r)) { seen.add(r); files.push(p); } };
  const walk = (dir: string, depth: number) => {
    let names: string[];
    try { names = readdirSync(dir).sort(); } catch { return; }
    for (const f of names) {
      const full = join(dir, f);
      let st;
      try { st = statSync(full); } catch { continue; /* vanished, or a broken link */ }
      if (st.isDirectory()) {
        if (!SKIP_DIR(f) && depth < MAX_DEPTH && !seen.has(real(full))) { seen.add(real(full)); walk(full, depth + 1); }
        continue;
      }
      if (!st.isFile()) continue;
      // a directory's submissions: the files named or shaped like captures (a notes file or a README is no submission;
      // a capture misnamed .txt still is, and a file named .pcap that is not one gets 0 and the reason)
      if (looksLikeCapture(full)) add(full);
      else skipped.push(full);
    }
  };
  for (const p of inputs) {
    let st;
    try { st = statSync(p); } catch { files.push(p); continue; }
    if (st.isDirectory()) { seen.add(real(p)); walk(p, 1); } else add(p);
  }
  return { files, skipped };
}

const zero = (file: string, rubric: Rubric, reason: string, damage: string | null = null, warnings: string[] = []): Grade => ({
  file, rubric: rubric.name, total: 0, max: round2(rubric.items.reduce((a, i) => a + round2(i.points), 0)), flow: null, reason, damage, items: [],
  facts: null, duplicateOf: null, warnings,
});

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Why a file that is no capture could not be read, for the feedback's own words (the reader's message is in English). */
function notReadable(file: string): NotReadable {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch { return { kind: 'unreadable' }; }
  try {
    const b = new Uint8Array(8);
    const n = readSync(fd, b, 0, 8, 0);
    if (n === 0) return { kind: 'empty' };
    const a = archiveOf(b, n);
    if (a !== null) return { kind: 'archive', format: a.name, unpack: a.unpack };
    return { kind: 'not-capture' };
  } catch {
    return { kind: 'unreadable' };
  } finally {
    closeSync(fd);
  }
}

/** Grade one submission. Never throws for a bad submission: it gets 0 points and the reason. */
export async function gradeFile(file: string, o: GradeOptions): Promise<Grade & { key: string | null }> {
  const t = feedback(o.lang);
  let a;
  try {
    a = await analyzeCapture(file);
  } catch (e) {
    if (e instanceof CaptureError) {
      // (the report names the file already)
      const m = e.message.startsWith(`${e.file}: `) ? e.message.slice(e.file.length + 2) : e.message;
      return { ...zero(file, o.rubric, t.notACapture(m, notReadable(file))), key: null };
    }
    throw e;
  }
  const stats = a.set.stats;
  const warnings = stats.warnings.map((w) =>
    (w.frame !== null ? `frame ${w.frame}` : '') + (w.offset !== null ? `${w.frame !== null ? ', ' : ''}offset ${w.offset}` : '') +
    (w.frame !== null || w.offset !== null ? ': ' : '') + w.message);
  // a damaged file was read up to the damage: say that only the frames before it were graded
  const damage = stats.damaged ? stats.warnings.find((w) => w.frame !== null || w.offset !== null) ?? null : null;
  const damaged = stats.damaged ? t.damaged(damage?.frame ?? stats.frames + 1, stats.frames) : null;
  const count = a.set.count;
  if (count === 0) return { ...zero(file, o.rubric, t.noTcp(stats.frames, stats.notDecoded.encrypted ?? 0), damaged, warnings), key: null };
  const host = o.host === undefined ? undefined : canonicalIp(o.host) ?? o.host;
  const match = (f: FlowReport) =>
    (o.port === undefined || f.server.port === o.port || f.client.port === o.port) &&
    (host === undefined || f.server.ip === host || f.client.ip === host);
  // the most complete connection (the first of the largest among equals), one flow report at a time:
  // a submission can be a capture of half a million connections
  let best: FlowReport | null = null, bestScore = 0, matched = 0;
  for (const f of a.set.flows()) {
    if (!match(f)) continue;
    matched++;
    const score = completeness(f);
    if (best === null || score > bestScore || (score === bestScore && f.packets > best.packets)) { best = f; bestScore = score; }
  }
  if (best === null) return { ...zero(file, o.rubric, t.noMatch(host, o.port, count), damaged, warnings), key: null };
  const filtered = o.host !== undefined || o.port !== undefined;
  const reason = t.picked(best.id, formatEndpoint(best.client.ip, best.client.port),
    formatEndpoint(best.server.ip, best.server.port), filtered, filtered ? matched : count);

  // replay once more, watching the chosen connection segment by segment (and keeping its transitions only)
  const rows: WatchedSegment[] = [];
  const { tracker } = await trackCapture(file, { watch: { stream: best.id, onSegment: (r) => rows.push(r) } });
  const st = tracker.streams[best.id];
  const peers = st.client < 0 ? new PeerPorts(tracker.streams) : null;
  const client = clientIndexOf(st, peers);
  const flow = flowReport(st, peers, true);
  const findings = a.findingsOf(best.id);
  const g = gradeFlow(flow, rows, client, findings.map((x) => ({ kind: x.kind, variant: x.variant, frame: x.frame, data: x.data })), o);
  const total = round2(g.items.reduce((s, i) => s + i.points, 0));
  const max = round2(g.items.reduce((s, i) => s + i.max, 0));
  // the same connection in two submissions: the same endpoints, first segment (its sequence and acknowledgment numbers) and time
  const first = rows[0];
  const key = first === undefined ? null
    : `${flow.client.ip}:${flow.client.port}>${flow.server.ip}:${flow.server.port}:${first.seq}:${first.ack}:${flow.firstTs}`;
  return { file, rubric: o.rubric.name, total, max, flow: best.id, reason, damage: damaged, items: g.items, facts: g.facts, duplicateOf: null, warnings, key };
}

/** Events by which an endpoint leaves a state because of a reset, not an orderly close. */
const RESET_EVENTS: ReadonlySet<string> = new Set(['RCV_RST_OK', 'SND_RST']);

/** Score one connection from its segments, transitions and findings. */
export function gradeFlow(flow: FlowReport, rows: WatchedSegment[], client: 0 | 1, findings: GradeFinding[], o: GradeOptions):
  { items: ItemResult[]; facts: LabFacts } {
  const t = feedback(o.lang);
  const fromClient = (r: WatchedSegment) => r.from === client;
  const side = (i: 0 | 1) => (i === client ? 'client' : 'server');
  const has = (r: WatchedSegment, f: number) => (r.flags & f) === f;
  const isSyn = (r: WatchedSegment) => fromClient(r) && has(r, SYN) && !has(r, ACK);
  const isSynAck = (r: WatchedSegment) => !fromClient(r) && has(r, SYN | ACK);
  // the handshake that worked: the client's first ACK after a SYN+ACK, the last SYN+ACK before it and the last SYN
  // before that (a SYN or SYN+ACK lost and sent again leaves earlier copies that never arrived)
  let third: WatchedSegment | null = null, synAck: WatchedSegment | null = null;
  for (const r of rows) {
    if (isSynAck(r)) synAck = r;
    else if (synAck !== null && fromClient(r) && has(r, ACK) && (r.flags & (SYN | RST)) === 0) { third = r; break; }
  }
  if (third === null) synAck = rows.find(isSynAck) ?? null;
  const synBefore = synAck === null ? [] : rows.filter((r) => isSyn(r) && r.frame < synAck!.frame);
  const syn = synBefore.length > 0 ? synBefore[synBefore.length - 1] : rows.find(isSyn) ?? null;
  const synFrames = rows.filter(isSyn).map((r) => r.frame);
  const synAckFrames = rows.filter(isSynAck).map((r) => r.frame);
  const finC = rows.find((r) => fromClient(r) && has(r, FIN)) ?? null;
  const finS = rows.find((r) => !fromClient(r) && has(r, FIN)) ?? null;
  /** The sequence number a FIN takes, relative (as Wireshark shows it), and the acknowledgment number that acknowledges it. */
  const finRel = (r: WatchedSegment) => (r.relSeq + r.len + (has(r, SYN) ? 1 : 0)) >>> 0;
  const finAckNo = (r: WatchedSegment) => (r.seq + r.len + (has(r, SYN) ? 1 : 0) + 1) >>> 0;
  const ackOf = (fin: WatchedSegment | null, byClient: boolean) =>
    fin === null ? null : rows.find((r) => fromClient(r) === byClient && r.frame > fin.frame && has(r, ACK) && r.ack === finAckNo(fin)) ?? null;
  const ackFinC = ackOf(finC, false), ackFinS = ackOf(finS, true);
  const rsts = rows.filter((r) => has(r, RST));
  // a RST after the close was complete (to an endpoint in TIME_WAIT) only cuts TIME_WAIT short: not held against the student
  const lateRst = new Set(findings.filter((x) => (x.kind === 'reset' || x.kind === 'invalid-rst') && x.variant === 'time-wait').map((x) => x.frame));
  const rstsCounted = rsts.filter((r) => !lateRst.has(r.frame));
  const rstsLate = rsts.filter((r) => lateRst.has(r.frame));
  // a frame captured twice (capturing on "any" or on a bridge) is no retransmission of the sender's
  const copies = new Set(findings.filter((x) => x.kind === 'duplicate-frame').map((x) => x.frame));
  const retx = findings.filter((x) => (x.kind === 'retransmission' || x.kind === 'fast-retransmission' || x.kind === 'spurious-retransmission') && !copies.has(x.frame));
  // data missing from the capture itself (not lost on the network: a loss the sender repaired is explained), §7.15
  const gaps = findings.filter((x) => x.kind === 'capture-loss');
  // a side of which the capture holds no segment at all though the other side's acknowledgments show it sent some
  // (a one-sided capture): what it did is inferred, not seen. (A SYN nobody answered is no one-sided capture.)
  const silentSide: 'client' | 'server' | null = !flow.oneSided ? null : flow.c2s.packets === 0 ? 'client' : 'server';
  const silent = silentSide !== null && rows.some((r) => side(r.from) !== silentSide && has(r, ACK) && !has(r, RST)) ? silentSide : null;
  const transitions = flow.transitions ?? [];
  const path = (who: 'client' | 'server') => {
    const ts = transitions.filter((x) => x.endpoint === who && !x.revert);
    return ts.length === 0 ? flow.finalState[who] : [ts[0].from, ...ts.map((x) => x.to + (RESET_EVENTS.has(x.event) ? ` ${t.byRst()}` : ''))].join('→');
  };
  const activeWho = flow.closedBy === 'client' || flow.closedBy === 'server' ? flow.closedBy : null;
  const passiveWho = activeWho === 'client' ? 'server' : activeWho === 'server' ? 'client' : null;
  const icmp = findings.find((x) => x.kind === 'syn-unanswered' && typeof x.data?.icmp === 'string');

  const items: ItemResult[] = [];
  for (const item of o.rubric.items) {
    const maxima = partPoints(item.check, item.points);
    const parts: ItemResult['parts'] = {};
    const fb: string[] = [];
    const part = (name: string, ok: boolean) => {
      const max = maxima[name];
      parts[name] = { points: ok ? max : 0, max };
    };
    switch (item.check) {
      case 'capture-complete': {
        // the connection's first segments in the capture are its SYN (and the SYN+ACK, which a capture may record first)
        const early = syn === null ? null : rows.find((r) => r.frame < syn.frame && !has(r, SYN)) ?? null;
        const ok = !flow.partial && syn !== null && early === null && silent === null;
        part('from-syn', ok);
        if (silent !== null) fb.push(t.oneSided(silent));
        else if (syn === null && synAck !== null) fb.push(t.completeNoSyn(rows[0]?.frame ?? null));
        else fb.push(ok ? t.completeOk(syn!.frame) : t.completeNo(early?.frame ?? (syn === null ? rows[0]?.frame ?? null : null)));
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
        if (syn === null) {
          fb.push(silent === 'client' ? t.sideNotCaptured('client') : t.noSyn());
          if (okThird) fb.push(t.thirdOkAlone(third!.frame, synAck!.frame));
        } else if (synAck === null) {
          if (refusedBy !== null) fb.push(t.refused(syn.frame, refusedBy.frame, flow.finalState.client));
          else if (icmp !== undefined) fb.push(t.icmpRefused(syn.frame, Number(icmp.data!.icmpFrame), String(icmp.data!.icmp), flow.finalState.client));
          else if (silent === 'server') fb.push(t.sideNotCaptured('server'));
          else fb.push(t.noSynAck(syn.frame, flow.finalState.client));
        } else if (!okSa) fb.push(t.badSynAck(synAck.frame, (synAck.ack - syn.seq) >>> 0));
        else if (third === null) fb.push(resetBy !== null ? t.handshakeReset(synAck.frame, resetBy.frame, side(resetBy.from), flow.finalState.server) : t.noThird(synAck.frame, flow.finalState.server));
        else if (!okThird) fb.push(t.badThird(third.frame, (third.ack - synAck.seq) >>> 0));
        else fb.push(t.handshakeOk(syn.frame, synAck.frame, third.frame, syn.seq, synAck.seq, path('client'), path('server')));
        if (synFrames.length > 1 || synAckFrames.length > 1) fb.push(t.handshakeRepeated(synFrames, synAckFrames));
        fb.push(t.whyHandshake());
        break;
      }
      case 'options': {
        const m = flow.options.mss;
        part('mss', m.client !== null && m.server !== null);
        if (m.client !== null && m.server !== null) fb.push(t.optionsOk(m.client, m.server, flow.options.windowScale, flow.options.sackPermitted, flow.options.timestamps));
        else if (syn === null || synAck === null) fb.push(t.optionsNoSyn(syn === null, synAck === null));
        else fb.push(t.optionsNo(m.client, m.server));
        break;
      }
      case 'data': {
        const min = item.params.minBytes ?? 1;
        const c2s = flow.c2s.payloadBytes, s2c = flow.s2c.payloadBytes;
        const both = c2s >= min && s2c >= min;
        part('both-directions', both);
        // no gap: of whatever data flowed, the capture holds every byte
        const some = c2s >= min || s2c >= min;
        part('no-gap', gaps.length === 0 && some);
        fb.push(both ? t.dataBoth(c2s, s2c) : t.dataOneWay(c2s, s2c, silent));
        if (gaps.length > 0) fb.push(t.gaps(gaps.map((x) => x.frame ?? 0)));
        else if (some) fb.push(t.noGaps());
        else fb.push(t.noDataNoGapPoints());
        break;
      }
      case 'teardown': {
        part('fin-client', finC !== null);
        part('fin-server', finS !== null);
        part('fin-acked-client', ackFinC !== null);
        part('fin-acked-server', ackFinS !== null);
        part('closer-identified', flow.closedBy !== null && finC !== null && finS !== null);
        if (finC === null && finS === null && silent === null) {
          fb.push(rsts.length > 0 ? t.noFinReset(rsts[0].frame, side(rsts[0].from)) : t.noFin(flow.finalState.client, flow.finalState.server));
        } else {
          for (const [who, fin, ack] of [['client', finC, ackFinC], ['server', finS, ackFinS]] as const) {
            const acker = who === 'client' ? 'server' : 'client';
            if (fin === null) fb.push(who === silent ? t.sideNotCaptured(who) : t.finMissing(who, flow.finalState[who]));
            else if (ack === null) fb.push(acker === silent ? t.finAckNotCaptured(who, fin.frame, acker) : t.finNotAcked(who, fin.frame, finRel(fin)));
            else fb.push(t.finAcked(who, fin.frame, ack.frame));
          }
          if (flow.closedBy !== null && finC !== null && finS !== null) fb.push(t.closer(flow.closedBy));
        }
        fb.push(t.whyTeardown());
        break;
      }
      case 'time-wait': {
        const reached = (who: 'client' | 'server', to: string) => transitions.some((x) => x.endpoint === who && x.to === to && !x.revert);
        // the passive closer's orderly end: the ACK of its FIN takes it from LAST_ACK to CLOSED (a RST there is no orderly end)
        const lastAckToClosed = (who: 'client' | 'server') =>
          transitions.some((x) => x.endpoint === who && x.from === 'LAST_ACK' && x.to === 'CLOSED' && x.event === 'RCV_ACK_FIN' && !x.revert);
        if (silent !== null) {
          part('active-time-wait', false);
          part('passive-last-ack', false);
          fb.push(t.timeWaitUnseen(silent));
        } else if (flow.closedBy === 'simultaneous') {
          const ok = reached('client', 'TIME_WAIT') && reached('server', 'TIME_WAIT');
          part('active-time-wait', ok);
          part('passive-last-ack', ok);
          fb.push(t.simultaneousTw(ok, path('client'), path('server')));
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
        part('no-rst', rstsCounted.length === 0);
        const maxRetx = item.params.maxRetransmissions ?? 0;
        part('no-retransmission', retx.length <= maxRetx);
        if (rstsCounted.length > 0) fb.push(t.rst(rstsCounted.map((r) => r.frame), side(rstsCounted[0].from)));
        if (rstsLate.length > 0) fb.push(t.rstAfterClose(rstsLate.map((r) => r.frame)));
        if (retx.length > maxRetx) fb.push(t.retx(retx.map((x) => x.frame ?? 0)));
        if (copies.size > 0) fb.push(t.copies(copies.size));
        if (rstsCounted.length === 0 && retx.length <= maxRetx) fb.push(t.cleanOk());
        break;
      }
    }
    const points = round2(Object.values(parts).reduce((s, p) => s + p.points, 0));
    items.push({ check: item.check, points, max: round2(item.points), parts, feedback: fb });
  }

  const dur = Number(flow.lastTs) - Number(flow.firstTs);
  // the handshake's round trip as the exchange that worked took it (an earlier SYN or SYN+ACK that was lost does not count)
  const rtt = syn !== null && third !== null ? Math.round((third.tsSec - syn.tsSec) * 1e6 + (third.tsNsec - syn.tsNsec) / 1e3) / 1e6 : flow.handshake.rtt;
  const facts: LabFacts = {
    isn: { client: syn?.seq ?? null, server: synAck?.seq ?? null },
    handshakeRtt: rtt,
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

/** Grade every submission; those holding the same connection are flagged, each naming the others. */
export async function gradeAll(files: string[], o: GradeOptions): Promise<Grade[]> {
  const out: Grade[] = [];
  const byKey = new Map<string, Grade[]>();
  const t = feedback(o.lang);
  for (const f of files) {
    const { key, ...grade } = await gradeFile(f, o);
    if (key !== null) {
      const same = byKey.get(key);
      if (same === undefined) byKey.set(key, [grade]); else same.push(grade);
    }
    out.push(grade);
  }
  for (const same of byKey.values()) {
    if (same.length < 2) continue;
    for (const g of same) {
      const others = same.filter((x) => x !== g).map((x) => x.file);
      g.duplicateOf = others[0];
      g.reason += ` ${t.duplicate(others)}`;
    }
  }
  return out;
}
