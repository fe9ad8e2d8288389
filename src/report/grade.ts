import type { CheckId, Grade } from '../analysis/grade.js';
import { feedback, type Lang } from '../analysis/grade-text.js';
import { csvCell, table } from './flows.js';

const LABELS = {
  en: { points: 'points', rubric: 'rubric', item: 'ITEM', score: 'POINTS', facts: 'Lab facts', isn: 'initial sequence numbers (ISN)', rtt: 'handshake RTT', mss: 'MSS',
    win: 'initial windows', bytes: 'payload bytes', tput: 'throughput', frames: 'frames', client: 'client', server: 'server', none: '-',
    relative: '(Wireshark shows each as relative sequence number 0)', lastAck: 'last ACK' },
  zh: { points: '分', rubric: '评分标准', item: '项目', score: '得分', facts: '实验数据', isn: '初始序号（ISN）', rtt: '握手往返时间', mss: 'MSS',
    win: '初始窗口', bytes: '数据字节', tput: '吞吐量', frames: '帧号', client: '客户端', server: '服务器', none: '-',
    relative: '（Wireshark 中都显示为相对序号 0）', lastAck: '最后的 ACK' },
} as const;

/** One submission as text: total, the connection graded and why, points per item, feedback, lab facts. */
export function renderGrade(g: Grade, lang: Lang): string {
  const L = LABELS[lang];
  const t = feedback(lang);
  const out = [`${g.file}: ${g.total} / ${g.max} ${L.points} (${L.rubric} ${g.rubric})`, `  ${g.reason}`];
  if (g.damage !== null) out.push(`  ${g.damage}`);
  if (g.items.length > 0) {
    out.push(table([`  ${L.item}`, L.score], g.items.map((i) => [`  ${t.checkName(i.check)}`, `${i.points} / ${i.max}`])).trimEnd());
    for (const i of g.items) {
      out.push(`  ${t.checkName(i.check)}:`);
      for (const line of i.feedback) out.push(`    ${line}`);
    }
  }
  const f = g.facts;
  if (f !== null) {
    const n = (x: number | null, unit = '') => (x === null ? L.none : `${x}${unit}`);
    out.push(`  ${L.facts}:`);
    out.push(`    ${L.isn}: ${L.client} ${n(f.isn.client)}, ${L.server} ${n(f.isn.server)} ${L.relative}`);
    out.push(`    ${L.rtt}: ${f.handshakeRtt === null ? L.none : `${(f.handshakeRtt * 1000).toFixed(3)} ms`}; ${L.mss}: ${n(f.mss.client)} / ${n(f.mss.server)}; ${L.win}: ${n(f.initialWindow.client)} / ${n(f.initialWindow.server)}`);
    out.push(`    ${L.bytes}: ${L.client} → ${f.bytes.c2s}, ${L.server} → ${f.bytes.s2c}; ${L.tput}: ${f.throughput === null ? L.none : `${f.throughput} B/s`}`);
    const fr = f.frames;
    out.push(`    ${L.frames}: SYN ${n(fr.syn)}, SYN+ACK ${n(fr.synAck)}, ACK ${n(fr.ack)}, FIN ${L.client} ${n(fr.finClient)}, FIN ${L.server} ${n(fr.finServer)}, ${L.lastAck} ${n(fr.lastAck)}`);
  }
  return out.join('\n') + '\n';
}

/** CSV columns: the file, the total, one column per check of the rubric, then the flow, duplicate, reason and feedback. */
export function gradeCsvHeader(checks: CheckId[]): string {
  return ['file', 'total', 'max', ...checks, 'flow', 'duplicate_of', 'reason', 'feedback'].join(',') + '\n';
}

export function gradeCsvRow(g: Grade, checks: CheckId[]): string {
  const byCheck = new Map(g.items.map((i) => [i.check, i.points]));
  const fb = g.items.flatMap((i) => i.feedback.map((l) => `${i.check}: ${l}`)).join(' | ');
  return [g.file, g.total, g.max, ...checks.map((c) => byCheck.get(c) ?? 0), g.flow, g.duplicateOf, g.damage === null ? g.reason : `${g.reason} ${g.damage}`, fb].map(csvCell).join(',') + '\n';
}

/** A batch's figures: submissions, graded ones with their average, lowest and highest, the files not graded, duplicates. */
interface BatchFigures { k: number; graded: number; avg: number; low: number; high: number; max: number; notGraded: string[]; dups: number }

const SUMMARY = {
  en: (f: BatchFigures) => `${f.k} submissions: ${f.graded} graded` +
    (f.graded > 0 ? ` (average ${f.avg} / ${f.max}, lowest ${f.low}, highest ${f.high})` : '') +
    (f.notGraded.length > 0 ? `; ${f.notGraded.length} not graded (${f.notGraded.join(', ')})` : '') +
    (f.dups > 0 ? `; ${f.dups} share a connection with another submission` : '') + '.',
  zh: (f: BatchFigures) => `共 ${f.k} 份提交：已评分 ${f.graded} 份` +
    (f.graded > 0 ? `（平均 ${f.avg} / ${f.max}，最低 ${f.low}，最高 ${f.high}）` : '') +
    (f.notGraded.length > 0 ? `；未评分 ${f.notGraded.length} 份（${f.notGraded.join('、')}）` : '') +
    (f.dups > 0 ? `；${f.dups} 份与其他提交包含同一个连接` : '') + '。',
} as const;

/** The last line of a batch in text: how many were graded, their average, lowest and highest, which were not, and duplicates. */
export function renderGradeSummary(grades: Grade[], lang: Lang): string {
  const totals = grades.filter((g) => g.flow !== null).map((g) => g.total);
  return SUMMARY[lang]({
    k: grades.length,
    graded: totals.length,
    avg: totals.length === 0 ? 0 : Math.round((totals.reduce((a, b) => a + b, 0) / totals.length) * 10) / 10,
    low: totals.reduce((a, b) => Math.min(a, b), Infinity),
    high: totals.reduce((a, b) => Math.max(a, b), -Infinity),
    max: grades.length > 0 ? grades[0].max : 0,
    notGraded: grades.filter((g) => g.flow === null).map((g) => g.file),
    dups: grades.filter((g) => g.duplicateOf !== null).length,
  }) + '\n';
}
