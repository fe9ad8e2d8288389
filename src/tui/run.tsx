/**
 * `synfin tui FILE`: the loading screen while the capture is analyzed, then the browser. Owns the
 * terminal: the alternate screen, raw keys, and putting both back however it ends.
 */
import { openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { Text, render, useApp, useInput, useStdout } from 'ink';
import { Component, useEffect, useRef, useState, type ReactNode } from 'react';
import { analyzeCapture, type Analysis } from '../analysis/analyze.js';
import { FrameIndex } from '../analysis/frame-index.js';
import type { Thresholds } from '../analysis/lifecycle.js';
import { spool, spoolReason, type Spooled } from '../capture/spool.js';
import { App } from './App.js';
import { tuiData, type TuiData } from './data.js';
import { Loading, type LoadProgress } from './Loading.js';
import { idleCollector } from './idle-gc.js';
import { colourEnabled } from './theme.js';

export interface TuiOptions {
  thresholds: Thresholds;
}

/** How the UI ended: quit, stopped while loading, or an error worth one line. */
export interface Outcome {
  status: number;
  message: string | null;
  analysis: Analysis | null;
}

export const EXIT_INTERRUPTED = 130;

/** Analyze the capture (spooling it first when it cannot be re-read by offset) and build the UI's data. */
async function load(file: string, o: TuiOptions, progress: (p: LoadProgress) => void, signal: AbortSignal, spooled: { s: Spooled | null }): Promise<{ data: TuiData; analysis: Analysis }> {
  const start = performance.now();
  let path = file;
  const reason = spoolReason(file);
  let spoolNote: string | null = null;
  if (reason !== null) {
    spoolNote = `${reason}: copying it to a temporary file, so a flow's records can be read again by offset`;
    progress({ phase: 'copying', bytesRead: 0, totalBytes: null, packets: 0, flows: 0, elapsedMs: 0, spool: spoolNote });
    spooled.s = await spool(file, null, (raw, written) => progress({
      phase: 'copying', bytesRead: written, totalBytes: null, packets: 0, flows: 0, elapsedMs: performance.now() - start,
      spool: `${spoolNote} (${(raw / 1e6).toFixed(1)} MB read)`,
    }), signal);
    path = spooled.s.path;
    spoolNote = `${reason}: analyzing the copy in ${path}`;
  }
  const index = new FrameIndex();
  const readStart = performance.now();
  const analysis = await analyzeCapture(path, {
    thresholds: o.thresholds, signal, yieldEveryChunk: true, frames: index, onHeaderBlock: index.headerBlock,
    onProgress: (p) => progress({ phase: 'reading', ...p, flows: index.streams, elapsedMs: performance.now() - readStart, spool: spoolNote }),
  });
  if (signal.aborted) throw new Interrupted();
  progress({ phase: 'indexing the flows of', bytesRead: analysis.set.stats.bytes, totalBytes: analysis.set.stats.bytes, packets: analysis.set.stats.frames, flows: analysis.set.count, elapsedMs: performance.now() - readStart, spool: spoolNote });
  await new Promise((r) => setImmediate(r)); // let that line be drawn
  return { data: tuiData(file === '-' ? '(standard input)' : file, path, analysis, index), analysis };
}

class Interrupted extends Error {}

/** Any error while drawing becomes one line, never a stack trace on the screen. */
export class Boundary extends Component<{ onError: (e: Error) => void; children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() { return { failed: true }; }
  override componentDidCatch(e: Error) { this.props.onError(e); }
  override render() { return this.state.failed ? <Text>synfin: internal error</Text> : this.props.children; }
}

function Root({ file, o, outcome }: { file: string; o: TuiOptions; outcome: Outcome }) {
  const { exit } = useApp();
  const { stdout } = useStdout();
  const [size, setSize] = useState({ width: stdout.columns || 80, height: stdout.rows || 24 });
  const [p, setP] = useState<LoadProgress>({ phase: 'reading', bytesRead: 0, totalBytes: null, packets: 0, flows: 0, elapsedMs: 0, spool: null });
  const [data, setData] = useState<TuiData | null>(null);
  const abort = useRef(new AbortController());
  const spooled = useRef<{ s: Spooled | null }>({ s: null });
  const afterKey = useRef(idleCollector());
  const fail = (status: number, message: string | null) => { outcome.status = status; outcome.message = message; exit(); };

  useEffect(() => {
    const onResize = () => setSize({ width: stdout.columns || 80, height: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => { stdout.off('resize', onResize); };
  }, [stdout]);

  useEffect(() => {
    load(file, o, setP, abort.current.signal, spooled.current).then(
      ({ data: d, analysis }) => { outcome.analysis = analysis; outcome.status = analysis.damaged ? 2 : 0; setData(d); },
      (e: unknown) => {
        if (e instanceof Interrupted || (e as Error).name === 'AbortError') fail(EXIT_INTERRUPTED, 'synfin: stopped while reading');
        else if ((e as Error).name === 'CaptureError') fail(1, `synfin: error: ${(e as Error).message}`);
        else fail(70, `synfin: internal error: ${(e as Error).message}`);
      },
    );
    return () => { spooled.current.s?.remove(); };
  }, []);

  useInput((input, key) => { if (data === null && key.ctrl && input === 'c') abort.current.abort(); }, { isActive: data === null });

  if (data === null) return <Loading file={file === '-' ? '(standard input)' : file} p={p} width={size.width} />;
  return (
    <Boundary onError={(e) => fail(70, `synfin: internal error: ${e.message} (set SYNFIN_DEBUG=1 for details)${process.env.SYNFIN_DEBUG ? `\n${e.stack}` : ''}`)}>
      <App data={data} colour={colourEnabled()} width={size.width} height={size.height} onKey={afterKey.current} />
    </Boundary>
  );
}

/** Keys come from the terminal itself when the capture arrives on standard input. */
function keyboard(file: string): NodeJS.ReadStream | null {
  if (file !== '-' && process.stdin.isTTY) return process.stdin;
  try {
    return new ReadStream(openSync('/dev/tty', 'r')) as unknown as NodeJS.ReadStream;
  } catch {
    return null;
  }
}

const ENTER_ALT = '\x1b[?1049h';
const LEAVE_ALT = '\x1b[?25h\x1b[?1049l';

/** Run the terminal UI; resolves with the exit status once the terminal is restored. */
export async function runTui(file: string, o: TuiOptions): Promise<Outcome> {
  const outcome: Outcome = { status: 0, message: null, analysis: null };
  const stdin = keyboard(file);
  if (!process.stdout.isTTY || stdin === null) {
    return { status: 1, message: 'synfin: error: tui needs a terminal (use synfin analyze for a report)', analysis: null };
  }
  let restored = false;
  const restore = () => { if (!restored) { restored = true; process.stdout.write(LEAVE_ALT); } };
  process.once('exit', restore);
  process.stdout.write(ENTER_ALT);
  try {
    const ink = render(<Root file={file} o={o} outcome={outcome} />, { stdin, exitOnCtrlC: false, patchConsole: true });
    await ink.waitUntilExit();
    ink.cleanup();
  } finally {
    restore();
    process.off('exit', restore);
    if (stdin !== process.stdin) stdin.destroy();
  }
  return outcome;
}
