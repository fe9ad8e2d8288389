import type { ReadProgress } from '../capture/reader.js';

/** Progress is shown only after this long, so short runs stay quiet. */
const SHOW_AFTER_MS = 1000;
const REDRAW_EVERY_MS = 250;

function mb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(1)} MB`;
}

/**
 * A one-line progress indicator on stderr for long reads. On a terminal it redraws in place;
 * otherwise it prints a line every 10 seconds, so logs stay short.
 */
export class ProgressLine {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly enabled: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = out.isTTY === true;
  }

  update = (p: ReadProgress): void => {
    if (!this.enabled) return;
    const now = Date.now();
    const elapsed = now - this.start;
    if (elapsed < SHOW_AFTER_MS || now - this.last < (this.tty ? REDRAW_EVERY_MS : 10_000)) return;
    this.last = now;
    const pct = p.totalBytes ? ` ${((100 * p.bytesRead) / p.totalBytes).toFixed(0).padStart(3)}%` : '';
    const of = p.totalBytes ? ` of ${mb(p.totalBytes)}` : '';
    const rate = (p.packets / (elapsed / 1000) / 1e6).toFixed(2);
    const line = `synfin: ${this.label}${pct}  ${mb(p.bytesRead)}${of}  ${p.packets.toLocaleString('en-US')} packets  ${rate} M packets/s`;
    this.out.write(this.tty ? `\r\x1b[K${line}` : `${line}\n`);
    this.shown = true;
  };

  done(): void {
    if (this.shown && this.tty) this.out.write('\r\x1b[K');
  }
}
