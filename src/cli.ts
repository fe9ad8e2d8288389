#!/usr/bin/env node
import { Command, Option } from 'commander';
import { captureStats, type StatsReport } from './analysis/stats.js';
import { CaptureError, type CaptureWarning } from './capture/frame.js';
import { renderStats } from './report/stats.js';
import { ProgressLine } from './report/progress.js';

/** Exit statuses shared by every command. */
export const EXIT_OK = 0;
export const EXIT_USAGE = 1; // bad argument, unreadable file, not a capture
export const EXIT_DAMAGED = 2; // a file was damaged but partly read

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
  quiet?: boolean;
}

/**
 * Run `work` on every file in argument order, with the shared conventions: one report object
 * for one file, an array for several; errors as one line on stderr; the highest exit status wins.
 */
async function perFile<R extends { warnings: CaptureWarning[]; warningsOmitted: number; damaged: boolean }>(
  files: string[],
  opts: CommonOptions,
  work: (file: string, progress: ProgressLine) => Promise<R>,
  render: (r: R) => string,
): Promise<number> {
  let status = EXIT_OK;
  const results: Array<R | { file: string; error: string }> = [];
  for (const file of files) {
    const progress = new ProgressLine(file, !opts.quiet);
    try {
      const r = await work(file, progress);
      progress.done();
      if (!opts.quiet) printWarnings(r.warnings, r.warningsOmitted);
      if (r.damaged) status = Math.max(status, EXIT_DAMAGED);
      results.push(r);
      if (!opts.json) await write(render(r));
    } catch (e) {
      progress.done();
      if (!(e instanceof CaptureError)) throw e;
      process.stderr.write(`synfin: error: ${e.message}\n`);
      status = Math.max(status, EXIT_USAGE);
      results.push({ file: e.file, error: e.message });
    }
  }
  if (opts.json) await write(JSON.stringify(files.length === 1 ? results[0] : results, null, 2) + '\n');
  return status;
}

/** Write to stdout and wait until it is flushed (a piped report must never be cut off). */
function write(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('synfin')
    .description('TCP capture analyzer: reads pcap/pcapng (also gzip, and - for standard input), decodes every TCP segment')
    .version('0.1.0')
    .showHelpAfterError('(run synfin --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

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
        renderStats,
      );
    });

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
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
