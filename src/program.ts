import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_TIME_WAIT_SECONDS, FlowSet, trackFlows } from './analysis/flows.js';
import { captureStats, type StatsReport } from './analysis/stats.js';
import { analyzeCapture, mergeLeaks, type Analysis } from './analysis/analyze.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './analysis/lifecycle.js';
import { ANOMALY_KINDS, ANOMALY_VARIANTS } from './analysis/kinds.js';
import { BUILTIN_RUBRIC, RubricError, expandInputs, gradeAll, loadRubric, type Rubric } from './analysis/grade.js';
import type { Lang } from './analysis/grade-text.js';
import { canonicalIp } from './report/addr.js';
import { gradeCsvHeader, gradeCsvRow, renderGrade, renderGradeSummary } from './report/grade.js';
import { existsSync, statSync } from 'node:fs';
import { FilterError, compileFilter, filterNeedsFindings } from './analysis/filter.js';
import { ANOMALY_CSV_COLUMNS, LEAK_KINDS, analyzeJson, anomaliesCsv, captureHeadline, leaksJson, noConnectionsLine, renderAnalyze, renderLeakFindings, renderLeakTables, renderMergedFindings } from './report/analyze.js';
import { CaptureError, type CaptureWarning } from './capture/frame.js';
import { renderStats } from './report/stats.js';
import { ProgressLine } from './report/progress.js';
import { parseDuration } from './report/duration.js';
import { FLOW_CSV_COLUMNS, flowsCsvRows, flowsJson, renderFlows, table } from './report/flows.js';
import { renderLadder } from './report/ladder.js';
import { EVENTS, EVENT_MEANING, STATES, TRANSITIONS } from './tcp/state-table.js';
import type { WatchedSegment } from './tcp/tracker.js';

/** Exit statuses shared by every command. */
export const EXIT_OK = 0;
export const EXIT_USAGE = 1; // bad argument, unreadable file, not a capture
export const EXIT_DAMAGED = 2; // a file was damaged but partly read
export const EXIT_FINDINGS = 3; // --fail-on matched, or leaks crossed a threshold

/** Warnings printed to stderr per file; the JSON report carries them all. */
const WARNINGS_SHOWN = 20;

function warningLine(w: CaptureWarning): string {
  const where = [w.offset !== null ? `offset ${w.offset}` : null, w.frame !== null ? `frame ${w.frame}` : null].filter(Boolean).join(', ');
  return `synfin: warning: ${w.file}${where ? ` (${where})` : ''}: ${w.message}`;
}

function printWarnings(ws: CaptureWarning[], omitted: number): void {
  for (const w of ws.slice(0, WARNINGS_SHOWN)) process.stderr.write(warningLine(w) + '\n');
  const more = ws.length - WARNINGS_SHOWN + omitted;
  if (more > 0) process.stderr.write(`synfin: warning: … and ${more} more warning(s) (see --json for all)\n`);
}

interface CommonOptions {
  json?: boolean;
  csv?: boolean;
  quiet?: boolean;
}

function durationOption(value: string): number {
  const s = parseDuration(value);
  if (s === null || s < 0) throw new InvalidArgumentError('expected a duration such as 500ms, 10s, 2m or 1h');
  return s;
}

/** A duration option whose help shows its default the way it is typed (`3s`, `500ms`), not as a bare number. */
function durationOpt(flags: string, description: string, seconds: number): Option {
  const shown = seconds < 1 ? `${+(seconds * 1000).toFixed(3)}ms` : `${seconds}s`;
  return new Option(flags, description).argParser(durationOption).default(seconds, shown);
}

const FILTER_HELP = 'only connections matching EXPR: terms that must all hold, e.g. "state:CLOSE_WAIT port:8080", "kind:retransmission", "class:in-progress", "!partial", "zeek:SF|S1", "closed-by:server"';

function filterOption(value: string): string {
  try {
    compileFilter(value);
  } catch (e) {
    if (e instanceof FilterError) throw new InvalidArgumentError(e.message);
    throw e;
  }
  return value;
}

function countOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, 1 or more');
  return n;
}

/** A number of ports: a host has 65,535 at most. */
function portCountOption(value: string): number {
  const n = countOption(value);
  if (n > 65535) throw new InvalidArgumentError('expected a number of ports, 65535 at most');
  return n;
}

function kindsOption(value: string): string[] {
  const kinds = value.split(',').map((k) => k.trim()).filter(Boolean);
  // a kind, or kind:variant (reset:abort) to leave its other variants out
  const bad = kinds.filter((k) => !ANOMALY_KINDS.includes(k.split(':')[0]) || k.endsWith(':'));
  if (bad.length > 0) throw new InvalidArgumentError(`unknown kind ${bad.join(', ')} (known: ${ANOMALY_KINDS.join(', ')})`);
  // a misspelt variant would make the gate pass for ever
  for (const k of kinds) {
    const [kind, variant] = k.split(':');
    if (variant === undefined) continue;
    const known = ANOMALY_VARIANTS[kind] ?? [];
    if (!known.includes(variant)) {
      throw new InvalidArgumentError(`unknown variant ${k} (${known.length > 0 ? `${kind} has ${known.map((v) => `${kind}:${v}`).join(', ')}` : `${kind} has no variants`})`);
    }
  }
  return kinds;
}

interface ThresholdOptions {
  synTimeout: number; finalAckGrace: number; closeWaitThreshold: number; timeWaitLen: number; finWait2Timeout: number;
  timeWaitThreshold: number; ephemeralRange: number; halfOpenWindow: number;
}

/** The reference's thresholds as options, with its defaults. */
function thresholdOptions(cmd: Command): Command {
  const d = DEFAULT_THRESHOLDS;
  return cmd
    .addOption(durationOpt('--syn-timeout <duration>', 'an unanswered SYN (or SYN+ACK) older than this is reported', d.synTimeout))
    .addOption(durationOpt('--final-ack-grace <duration>', 'a FIN unacknowledged for this long is a missing final ACK', d.finalAckGrace))
    .addOption(durationOpt('--close-wait-threshold <duration>', 'CLOSE_WAIT idle for this long (since the endpoint\'s last activity) is stuck', d.closeWaitThreshold))
    .addOption(durationOpt('--time-wait-len <duration>', 'TIME_WAIT length (Linux: 60 s)', d.timeWaitLen))
    .addOption(durationOpt('--fin-wait2-timeout <duration>', 'orphaned FIN_WAIT_2 timeout (Linux tcp_fin_timeout)', d.finWait2Timeout))
    .option('--time-wait-threshold <count>', 'TIME_WAIT connections per host that count as excess', countOption, d.timeWaitThreshold)
    .option('--ephemeral-range <count>', 'ephemeral ports per client IP (Linux: 28232)', portCountOption, d.ephemeralRange)
    .addOption(durationOpt('--half-open-window <duration>', 'a bare RST this soon after a segment answers it', d.halfOpenWindow));
}

function thresholdsOf(o: ThresholdOptions): Thresholds {
  return {
    synTimeout: o.synTimeout, finalAckGrace: o.finalAckGrace, closeWaitThreshold: o.closeWaitThreshold, timeWaitLen: o.timeWaitLen,
    finWait2Timeout: o.finWait2Timeout, timeWaitThreshold: o.timeWaitThreshold, ephemeralRange: o.ephemeralRange, halfOpenWindow: o.halfOpenWindow,
  };
}

function useColor(): boolean {
  return process.stdout.isTTY === true && !process.env.NO_COLOR;
}

function flowIdOption(value: string): number {
  // digits only: Number() would take '', 0x1 and 1e0 as well
  const n = /^[0-9]{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a flow id (a tcp.stream number, 0 or more)');
  return n;
}

/** The ladder's width in columns: the diagram needs this many to draw its arrows at all. */
const MIN_LADDER_WIDTH = 60;

function widthOption(value: string): number {
  const n = /^[0-9]{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= MIN_LADDER_WIDTH)) throw new InvalidArgumentError(`expected a number of columns, ${MIN_LADDER_WIDTH} or more`);
  return n;
}

interface Reported {
  warnings: CaptureWarning[];
  warningsOmitted: number;
  damaged: boolean;
}

/**
 * Read one file with the conventions every command shares: progress and warnings on stderr, status 2
 * when the file was damaged; a file that is not a capture is one line on stderr and status 1.
 */
async function readOne<R extends Reported>(file: string, quiet: boolean | undefined, work: (file: string, progress: ProgressLine) => Promise<R>):
  Promise<{ ok: true; result: R; status: number } | { ok: false; status: number; error: CaptureError }> {
  const progress = new ProgressLine(file, !quiet);
  try {
    const result = await work(file, progress);
    progress.done();
    if (!quiet) printWarnings(result.warnings, result.warningsOmitted);
    return { ok: true, result, status: result.damaged ? EXIT_DAMAGED : EXIT_OK };
  } catch (e) {
    progress.done();
    if (!(e instanceof CaptureError)) throw e;
    process.stderr.write(`synfin: error: ${e.message}\n`);
    return { ok: false, status: EXIT_USAGE, error: e };
  }
}

interface Outputs<R> {
  /** The text report: one string, or chunks of it. */
  text: (r: R) => string | Iterable<string>;
  json: (r: R) => Iterable<string>;
  csv?: { header: string; rows: (r: R) => Iterable<string> };
}

/**
 * Run `work` on every file in argument order, with the shared conventions: one report object
 * for one file, an array for several; errors as one line on stderr; the highest exit status wins.
 * Reports are written as they are produced, in chunks, never as one string.
 */
/** Standard input holds one stream: a second '-' would read it empty. */
function standardInputOnce(files: readonly string[]): void {
  if (files.filter((f) => f === '-').length > 1) fail('- (standard input) can be given only once');
}

async function perFile<R extends Reported>(
  files: string[],
  opts: CommonOptions,
  work: (file: string, progress: ProgressLine) => Promise<R>,
  out: Outputs<R>,
): Promise<number> {
  standardInputOnce(files);
  let status = EXIT_OK;
  const many = files.length > 1;
  const w = new ChunkWriter();
  if (opts.json && many) await w.add('[\n');
  let index = 0;
  let textWritten = false;
  for (const file of files) {
    if (opts.json && index > 0) await w.add(',\n');
    const one = await readOne(file, opts.quiet, work);
    status = Math.max(status, one.status);
    if (!one.ok) {
      if (opts.json) await w.add(JSON.stringify({ file: one.error.file, error: one.error.message }, null, 2));
    } else if (opts.json) {
      for (const chunk of out.json(one.result)) await w.add(chunk);
    } else if (opts.csv && out.csv) {
      if (index === 0) await w.add(out.csv.header);
      for (const chunk of out.csv.rows(one.result)) await w.add(chunk);
    } else {
      if (textWritten) await w.add('\n'); // a blank line between the reports of several files
      const text = out.text(one.result);
      if (typeof text === 'string') await w.add(text);
      else for (const chunk of text) await w.add(chunk);
      textWritten = true;
    }
    index++;
  }
  if (opts.json) await w.add(many ? '\n]\n' : '\n');
  await w.flush();
  return status;
}

/**
 * Collects output into ~64 KB writes and waits for stdout to take each one (backpressure). Each
 * piece is encoded into one reused buffer as soon as it comes, so it dies young: strings kept until
 * a batch is joined would outlive a young-generation collection or two, and a report of hundreds of
 * megabytes would then pile up as old-generation garbage, raising the peak memory of the process.
 */
const CHUNK_BYTES = 1 << 16;

class ChunkWriter {
  private readonly buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  add(s: string): Promise<void> | void {
    // a UTF-8 character takes at most three bytes per UTF-16 unit
    if (3 * s.length > CHUNK_BYTES - this.used) return this.addLarge(s);
    this.used += this.buf.write(s, this.used);
  }
  private async addLarge(s: string): Promise<void> {
    await this.flush();
    if (3 * s.length > CHUNK_BYTES) await write(s);
    else this.used = this.buf.write(s, 0);
  }
  async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    // stdout takes the bytes before the callback: the buffer can be filled again after it
    await write(this.buf.subarray(0, n));
  }
}

/** Write to stdout and wait until it is flushed (a piped report must never be cut off). */
function write(text: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('synfin')
    .description('TCP capture analyzer: reads pcap/pcapng (also gzip, and - for standard input), replays the RFC 9293 state machine for both endpoints of every connection, and flags anomalies (Wireshark-compatible and lifecycle). `synfin FILE` runs analyze.')
    .version('0.1.0')
    .showHelpAfterError('(run synfin --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const analyze = program
    .command('analyze', { isDefault: true })
    .description('the main job: flows, every TCP anomaly (Wireshark-compatible flags and connection lifecycle), and the CLOSE_WAIT / TIME_WAIT leak summary; also what `synfin FILE` runs')
    .argument('<file...>', 'capture files (- for standard input)')
    .option('--json', 'print the full JSON report: flows, anomalies sorted by frame, endpoints, hosts, warnings')
    .option('--csv', 'print one CSV row per anomaly')
    .option('--fail-on <kinds>', 'exit with status 3 when any finding of these kinds exists (comma-separated; kind:variant, e.g. reset:abort, for one variant)', kindsOption)
    .option('--limit <count>', 'lines of findings in the text report: one finding a line if all fit, else one line per flow and kind, most severe kinds first', countOption, 50)
    .option('--filter <expr>', FILTER_HELP, filterOption)
    .option('--transitions', 'include every state transition in the JSON report')
    .option('--tui', 'browse the analysis in the terminal UI instead (one file; same as synfin tui FILE)')
    .option('-q, --quiet', 'no progress or warnings on stderr');
  thresholdOptions(analyze).action(async (files: string[], opts: CommonOptions & ThresholdOptions & { failOn?: string[]; limit: number; transitions?: boolean; filter?: string; tui?: boolean }) => {
    if (opts.tui) {
      if (files.length !== 1 || opts.json || opts.csv) fail('--tui takes one file and no --json or --csv');
      process.exitCode = await tuiCommand(files[0], thresholdsOf(opts), opts.quiet);
      return;
    }
    if (opts.json && opts.csv) fail('choose one of --json and --csv');
    if (opts.transitions && !opts.json) fail('--transitions adds to the JSON report: add --json');
    let matched = false;
    const status = await perFile<Analysis>(
      files,
      opts,
      async (file, progress) => {
        const a = await analyzeCapture(file, { onProgress: progress.update, thresholds: thresholdsOf(opts), transitions: opts.transitions });
        if (opts.filter) a.filter(compileFilter(opts.filter));
        if (opts.failOn && a.has(opts.failOn)) matched = true;
        return a;
      },
      { text: (a) => renderAnalyze(a, { color: useColor(), limit: opts.limit }), json: analyzeJson, csv: { header: ANOMALY_CSV_COLUMNS.join(',') + '\n', rows: anomaliesCsv } },
    );
    process.exitCode = Math.max(status, matched ? EXIT_FINDINGS : EXIT_OK);
  });

  const leaks = program
    .command('leaks')
    .description('the leak hunt: connections stuck in CLOSE_WAIT per server endpoint (with ages and peers), TIME_WAIT per host (at the end and at peak, by side), LAST_ACK and FIN_WAIT_2 stragglers; exit status 3 when a threshold is crossed')
    .argument('<file...>', 'capture files (- for standard input)')
    .option('--json', 'print endpoints, hosts and the leak findings as JSON')
    .option('--merge', 'one report for all the files (captures of the same service taken at several points)')
    .option('-q, --quiet', 'no progress or warnings on stderr');
  thresholdOptions(leaks).action(async (files: string[], opts: CommonOptions & ThresholdOptions & { merge?: boolean }) => {
    if (opts.merge) {
      process.exitCode = await mergedLeaks(files, opts);
      return;
    }
    let crossed = false;
    const status = await perFile<Analysis>(
      files,
      opts,
      async (file, progress) => {
        const a = await analyzeCapture(file, { onProgress: progress.update, thresholds: thresholdsOf(opts) });
        if (a.has([...LEAK_KINDS])) crossed = true;
        return a;
      },
      { text: (a) => a.set.count === 0 ? `${captureHeadline(a)}\n${noConnectionsLine(a.set.stats)}\n` : `${captureHeadline(a)}\n${renderLeakTables(a)}${renderLeakFindings(a)}`, json: leaksJson },
    );
    process.exitCode = Math.max(status, crossed ? EXIT_FINDINGS : EXIT_OK);
  });

  const tui = program
    .command('tui')
    .description('browse a capture in the terminal: the flow list (sort, filter, toggles), each flow\'s ladder with its findings, the findings by kind, the leak tables; ? lists the keys')
    .argument('<file>', 'capture file (- for standard input; gzip and standard input are copied to a temporary file first)')
    .option('-q, --quiet', 'no warnings on stderr after quitting');
  thresholdOptions(tui).action(async (file: string, opts: ThresholdOptions & { quiet?: boolean }) => {
    process.exitCode = await tuiCommand(file, thresholdsOf(opts), opts.quiet);
  });

  program
    .command('grade')
    .description('grade student captures: the built-in tcp-lifecycle rubric (handshake, options, data, teardown, TIME_WAIT, no RST or retransmission; 100 points) or a custom one, with feedback citing frames and states; a directory grades every capture in it')
    .argument('<path...>', 'capture files or directories of submissions')
    .option('--rubric <file>', 'a custom rubric (JSON): { "name": ..., "items": [ { "check": "handshake", "points": 30, "params": {} } ] }')
    .option('--host <ip>', 'grade the connection with this address (IPv4, or IPv6 with or without brackets)', (v) => {
      const ip = canonicalIp(v);
      if (ip === null) throw new InvalidArgumentError('expected an IPv4 or IPv6 address');
      return ip;
    })
    .option('--port <n>', 'grade the connection with this port', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number, 0 to 65535');
      return n;
    })
    .addOption(new Option('--lang <lang>', 'language of the feedback').choices(['en', 'zh']).default('en'))
    .option('--json', 'one JSON object per submission (an array for several files or a folder)')
    .option('--csv', 'one CSV row per submission, points per item')
    .action(async (paths: string[], opts: { rubric?: string; host?: string; port?: number; lang: Lang; json?: boolean; csv?: boolean }) => {
      if (opts.json && opts.csv) fail('choose one of --json and --csv');
      const missing = paths.filter((p) => !existsSync(p));
      if (missing.length > 0) fail(`${missing[0]}: no such file or directory`);
      let rubric: Rubric = BUILTIN_RUBRIC;
      if (opts.rubric) {
        try { rubric = loadRubric(opts.rubric); } catch (e) {
          if (e instanceof RubricError) fail(`rubric ${e.message}`);
          throw e;
        }
      }
      const { files, skipped } = expandInputs(paths);
      if (skipped.length > 0) {
        const names = skipped.slice(0, 5).join(', ') + (skipped.length > 5 ? `, and ${skipped.length - 5} more` : '');
        process.stderr.write(`synfin: grade: skipped ${skipped.length} file(s) neither named nor shaped like a capture: ${names}\n`);
      }
      if (files.length === 0) fail(`${paths.join(', ')}: no captures to grade`);
      const grades = await gradeAll(files, { rubric, host: opts.host, port: opts.port, lang: opts.lang });
      const checks = rubric.items.map((i) => i.check);
      // one object for one file named; an array for several, or for a folder (even of one submission)
      const one = paths.length === 1 && files.length === 1 && !statSync(paths[0]).isDirectory();
      if (opts.json) await write(JSON.stringify(one ? grades[0] : grades, null, 2) + '\n');
      else if (opts.csv) await write(gradeCsvHeader(checks) + grades.map((g) => gradeCsvRow(g, checks)).join(''));
      else await write(grades.map((g) => renderGrade(g, opts.lang)).join('\n') + (one ? '' : '\n' + renderGradeSummary(grades, opts.lang)));
    });

  program
    .command('stats')
    .description('per file: format, link types, frames, TCP segments, frames not decoded by reason, first/last timestamp, warnings')
    .argument('<file...>', 'capture files (pcap, pcapng, optionally gzip-compressed; - for standard input)')
    .option('--json', 'print the report as JSON (an array when several files are given)')
    .option('-q, --quiet', 'no progress or warnings on stderr')
    .addOption(new Option('--verify-checksums', 'verify TCP checksums (off by default: offloaded checksums are wrong in captures)'))
    .action(async (files: string[], opts: CommonOptions & { verifyChecksums?: boolean }) => {
      process.exitCode = await perFile<StatsReport>(
        files,
        opts,
        (file, progress) => captureStats(file, { onProgress: progress.update, verifyChecksums: opts.verifyChecksums }),
        { text: renderStats, json: (r) => [JSON.stringify(r, null, 2)] },
      );
    });

  program
    .command('flows')
    .description('one row per TCP connection (Wireshark tcp.stream numbering) with the final state of both endpoints')
    .argument('<file...>', 'capture files (- for standard input)')
    .option('--json', 'print the JSON report (flows sorted by id)')
    .option('--csv', 'print one CSV row per connection')
    .option('--transitions', 'include every state transition in the JSON report')
    .option('--filter <expr>', FILTER_HELP + ' (kind:, class: and anomalies need synfin analyze)', filterOption)
    .addOption(durationOpt('--time-wait-len <duration>', 'TIME_WAIT length before an endpoint counts as CLOSED', DEFAULT_TIME_WAIT_SECONDS))
    .option('-q, --quiet', 'no progress or warnings on stderr')
    .action(async (files: string[], opts: CommonOptions & { transitions?: boolean; timeWaitLen: number; filter?: string }) => {
      if (opts.json && opts.csv) fail('choose one of --json and --csv');
      if (opts.transitions && !opts.json) fail('--transitions adds to the JSON report: add --json');
      if (opts.filter && filterNeedsFindings(opts.filter)) fail('kind:, class: and anomalies need the findings: use synfin analyze --filter');
      process.exitCode = await perFile<FlowSet>(
        files,
        opts,
        async (file, progress) => {
          const set = await trackFlows(file, { onProgress: progress.update, transitions: opts.transitions, timeWaitSeconds: opts.timeWaitLen });
          if (opts.filter) set.filter(compileFilter(opts.filter));
          return set;
        },
        { text: renderFlows, json: flowsJson, csv: { header: FLOW_CSV_COLUMNS.join(',') + '\n', rows: flowsCsvRows } },
      );
    });

  const flow = program
    .command('flow')
    .description('the ladder diagram of one connection: every segment, both endpoints\' states after it, and the findings')
    .argument('<file>', 'capture file (- for standard input)')
    .argument('<id>', 'flow id (the tcp.stream number shown by synfin flows)', flowIdOption)
    .option('--json', 'print the flow report with its segments, transitions and findings as JSON')
    .option('--all', 'never elide long data transfers')
    .option('--width <columns>', 'width of the diagram (default: the terminal\'s, or 100)', widthOption)
    .option('-q, --quiet', 'no progress or warnings on stderr');
  thresholdOptions(flow).action(async (file: string, id: number, opts: CommonOptions & ThresholdOptions & { all?: boolean; width?: number }) => {
      const rows: WatchedSegment[] = [];
      const one = await readOne(file, opts.quiet, (f, progress) => analyzeCapture(f, {
        onProgress: progress.update, thresholds: thresholdsOf(opts), transitions: false,
        watch: { stream: id, onSegment: (r) => rows.push(r) },
      }));
      if (!one.ok) {
        process.exitCode = one.status;
        return;
      }
      const a = one.result;
      const set = a.set;
      if (id >= set.count) {
        process.stderr.write(`synfin: error: ${file}: no flow ${id} (the capture has ${set.count} flow(s), numbered from 0)\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const client = set.clientIndex(id);
      const report = set.flow(id, true);
      const findings = a.findingsOf(id);
      if (opts.json) {
        const side = (i: 0 | 1) => (i === client ? 'client' : 'server');
        await write(JSON.stringify({
          file: set.stats.file, flow: report,
          segments: rows.map((r) => ({
            frame: r.frame, direction: r.from === client ? 'c2s' : 's2c', flags: r.flags, seq: r.seq, ack: r.ack,
            relSeq: r.relSeq, relAck: r.relAck, len: r.len, window: r.window, sack: r.sack,
            states: { client: r.states[client], server: r.states[1 - client] },
            transitions: r.transitions.map((t) => ({ ...t, endpoint: side(t.endpoint), frame: t.frame < 0 ? null : t.frame })),
          })),
          findings,
        }, null, 2) + '\n');
      } else {
        const width = opts.width ?? (process.stdout.columns || 100);
        await write(renderLadder(report, rows, client, { width, elideAfter: opts.all ? 0 : 24, findings, supersededBy: set.supersededBy(id) }));
      }
      process.exitCode = one.status;
    });

  program
    .command('states')
    .description('print the TCP state machine synfin replays (RFC 9293), one row per transition')
    .option('--json', 'print the table as JSON')
    .action(async (opts: { json?: boolean }) => {
      if (opts.json) {
        await write(JSON.stringify({
          states: STATES,
          events: EVENTS.map((e) => ({ name: e, meaning: EVENT_MEANING[e] })),
          transitions: TRANSITIONS,
        }, null, 2) + '\n');
        return;
      }
      const rows = TRANSITIONS.map((t) => [t.from, t.on, t.to, t.ref, t.note + (t.observer ? ' [observer inference]' : '')]);
      await write(table(['STATE', 'EVENT', 'NEXT', 'SOURCE', 'NOTE'], rows) +
        '\nEvents:\n' + EVENTS.map((e) => `  ${e.padEnd(15)} ${EVENT_MEANING[e]}`).join('\n') +
        '\n\nPairs not listed leave the state unchanged.\n');
    });

  return program;
}

/** `leaks --merge`: read every file, then one report (the usual exit statuses, 3 when a threshold is crossed). */
async function mergedLeaks(files: string[], opts: CommonOptions & ThresholdOptions): Promise<number> {
  standardInputOnce(files);
  const list: Analysis[] = [];
  const errors: Array<{ file: string; error: string }> = [];
  let status = EXIT_OK;
  for (const file of files) {
    const one = await readOne(file, opts.quiet, (f, progress) => analyzeCapture(f, { onProgress: progress.update, thresholds: thresholdsOf(opts) }));
    status = Math.max(status, one.status);
    if (one.ok) list.push(one.result);
    else errors.push({ file, error: one.error.message });
  }
  // nothing read: the errors said why, and there is no report to print
  if (list.length === 0) return status;
  const m = mergeLeaks(list, LEAK_KINDS);
  if (opts.json) await write(JSON.stringify(errors.length > 0 ? { ...m, errors } : m, null, 2) + '\n');
  else await write(`merged: ${m.files.join(', ')}\n${renderLeakTables({ ...m, thresholds: thresholdsOf(opts) })}${renderMergedFindings(m)}`);
  return Math.max(status, m.anomalies.length > 0 ? EXIT_FINDINGS : EXIT_OK);
}

/** The terminal UI (loaded only when asked for): its one-line error, then the file's warnings, after the terminal is restored. */
async function tuiCommand(file: string, thresholds: Thresholds, quiet: boolean | undefined): Promise<number> {
  // React's development build keeps every rendered element's debugging data: several times the memory, twice the latency
  process.env.NODE_ENV ??= 'production';
  // Ink draws only the final frame when CI is set (it reads the variable once, when loaded); a person
  // who runs the terminal UI wants it drawn, CI or not
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  const { runTui } = await import('./tui/run.js');
  const o = await runTui(file, { thresholds });
  if (o.message !== null) process.stderr.write(o.message + '\n');
  if (o.analysis !== null && !quiet) printWarnings(o.analysis.warnings, o.analysis.warningsOmitted);
  return o.status;
}

function fail(message: string): never {
  process.stderr.write(`synfin: error: ${message}\n`);
  process.exit(EXIT_USAGE);
}

async function main(argv: string[]): Promise<void> {
  // `synfin … | head`: the reader has gone, so there is nobody left to write for; stop quietly
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`synfin: error: cannot write the report: ${e.message}\n`);
    process.exit(EXIT_USAGE);
  });
  const program = buildProgram();
  if (argv.length <= 2) {
    // `synfin` alone: what it can do, rather than a complaint about a missing file
    process.stderr.write(program.helpInformation());
    process.exit(EXIT_USAGE);
  }
  program.exitOverride((err) => {
    // commander already printed its one-line message
    process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
  });
  await program.parseAsync(argv);
}

main(process.argv).catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`synfin: internal error: ${msg}${process.env.SYNFIN_DEBUG ? `\n${(e as Error).stack}` : ' (set SYNFIN_DEBUG=1 for details)'}\n`);
  process.exitCode = 70;
});
