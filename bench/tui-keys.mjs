#!/usr/bin/env node
// Responsiveness of `synfin tui` on a large capture: the time from a key press to the redraw it
// causes, per kind of key, and the peak RSS, next to `synfin analyze`'s peak RSS on the same file.
//
//   npm run build && node bench/tui-keys.mjs [--file PATH] [--repeat N]
//
// The UI runs in this process exactly as `synfin tui` runs it (same loading, same App), drawn by
// Ink into a terminal-sized stream of 120×40; a key is written to its input and the clock stops
// when Ink writes the frame that key produced. Keys come 60 ms apart, with a pause (--pause,
// default 1.5 s) between groups. Run it on an idle machine.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { PassThrough, Writable } from "node:stream";
import { fileURLToPath } from "node:url";

process.env.NODE_ENV ??= "production"; // as synfin tui runs React (before ink and react are imported)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const FILE = opt("--file", path.join(ROOT, "bench", ".cache", "bench.pcap"));
const REPEAT = Number(opt("--repeat", "20"));
// a person pauses between one task and the next (synfin tui collects garbage in such pauses);
// --pause 0 types everything without a break
const PAUSE_MS = Number(opt("--pause", "1500"));
const COLUMNS = 120, ROWS = 40;
if (!existsSync(FILE)) { console.error(`no capture at ${FILE} (see bench/README.md)`); process.exit(1); }
const dist = (p) => import(path.join(ROOT, "dist", p));

const { analyzeCapture } = await dist("analysis/analyze.js");
const { FrameIndex } = await dist("analysis/frame-index.js");
const { tuiData } = await dist("tui/data.js");
const { App } = await dist("tui/App.js");
const { idleCollector } = await dist("tui/idle-gc.js");
const { render } = await import("ink");
const { createElement } = await import("react");

// --- load, as synfin tui does -------------------------------------------------------------
let t = performance.now();
const index = new FrameIndex();
const analysis = await analyzeCapture(FILE, { frames: index, onHeaderBlock: index.headerBlock, yieldEveryChunk: true });
const readMs = performance.now() - t;
t = performance.now();
const data = tuiData(FILE, FILE, analysis, index);
const tableMs = performance.now() - t;

// --- a terminal: output stream with a size, input stream in raw mode -------------------------
let waiting = null;
const stdout = new Writable({
  write(chunk, _enc, cb) { if (waiting && waiting.test(String(chunk))) { const w = waiting; waiting = null; w.done(performance.now()); } cb(); },
});
Object.assign(stdout, { isTTY: true, columns: COLUMNS, rows: ROWS });
const stdin = new PassThrough();
Object.assign(stdin, { isTTY: true, setRawMode() {}, ref() {}, unref() {} });
const ink = render(createElement(App, { data, colour: true, width: COLUMNS, height: ROWS, onKey: idleCollector() }), { stdout, stdin, exitOnCtrlC: false, patchConsole: false });
await new Promise((r) => setTimeout(r, 300));

/**
 * Press a key; resolve with the ms until Ink wrote the frame it caused (the first frame, or the first
 * one `test` accepts), or null after 10 s without one.
 */
function press(seq, test = () => true) {
  return new Promise((resolve) => {
    const start = performance.now();
    const timer = setTimeout(() => { waiting = null; resolve(null); }, 10_000);
    waiting = { test, done: (end) => { clearTimeout(timer); resolve(end - start); } };
    stdin.write(seq);
  });
}
const settle = () => new Promise((r) => setTimeout(r, 60)); // past Ink's 30 fps throttle, as a person types

const results = new Map();
async function measure(label, seq, times = REPEAT, before = null) {
  const xs = results.get(label) ?? [];
  for (let i = 0; i < times; i++) {
    if (before) { await before(); await settle(); }
    const ms = await press(seq);
    if (ms !== null) xs.push(ms);
    await settle();
  }
  results.set(label, xs);
  if (PAUSE_MS > 0) await new Promise((r) => setTimeout(r, PAUSE_MS));
}

/** Open the filter line and erase it (Ctrl-U); Enter then applies what is typed. */
const emptyFilter = async () => { await press("/"); await settle(); await press("\x15"); await settle(); };

const KEY = { down: "\x1b[B", up: "\x1b[A", pgdn: "\x1b[6~", enter: "\r", esc: "\x1b" };
await measure("list: down (j)", "j");
await measure("list: up (k)", "k");
await measure("list: page down", KEY.pgdn);
await measure("list: last (G)", "G", 5);
await measure("list: first (g)", "g", 5);
await measure("list: sort by next column (s)", "s", 10);
await measure("list: toggle findings only (a)", "a", 6);
await measure("list: toggle not closed (o)", "o", 6);
await measure("list: open the filter (/)", "/", 1);
for (const ch of "port:80") await press(ch), await settle();
await measure("list: apply filter port:80 (Enter)", KEY.enter, 1);
await emptyFilter();
await measure("list: clear the filter (Enter)", KEY.enter, 1);
await press("g"); await settle();
// open flows: the first (10,000 segments), the last, and others found with the filter language
const openTimes = [];
for (const id of [0, 25_000, 50_000, 75_000, data.table.count - 1]) {
  await press("g"); await settle();
  if (id === data.table.count - 1) { await press("G"); await settle(); }
  else if (id > 0) {
    const f = data.table.facts(id).flow;
    await emptyFilter();
    for (const ch of `host:${f.client.ip} port:${f.client.port}`) await press(ch);
    await settle(); await press(KEY.enter); await settle();
  }
  let opened = -1;
  const ms = await press(KEY.enter, (text) => { const m = /flow (\d+) {2}client/.exec(text); if (m) opened = Number(m[1]); return m !== null; });
  openTimes.push({ id: opened, ms });
  await settle();
  await measure("ladder: next line (j)", "j", 10);
  await measure("ladder: next finding (n)", "n", 3);
  await measure("ladder: next state change (c)", "c", 3);
  await measure("ladder: page down", KEY.pgdn, 3);
  await measure("ladder: back to the list (q)", "q", 1);
  await emptyFilter(); await press(KEY.enter); await settle();
}
await measure("findings view (f)", "f", 1);
await measure("findings: open a group (Enter)", KEY.enter, 1);
await measure("findings: back (q)", "q", 1);
await measure("findings: back to the list (q)", "q", 1);
await measure("leaks view (L)", "L", 1);
await measure("leaks: back (q)", "q", 1);
await measure("help (?)", "?", 1);
await measure("help: close", "x", 1);
ink.unmount();
const tuiRss = process.resourceUsage().maxRSS * 1024;

// --- synfin analyze's peak RSS on the same file -------------------------------------------------
let analyzeRss = null;
if (existsSync("/usr/bin/time")) {
  const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, path.join(ROOT, "dist", "cli.js"), "analyze", "-q", FILE], { encoding: "utf8", maxBuffer: 1 << 30 });
  analyzeRss = Number(r.stderr.trim().split("\n").pop()) * 1024;
}

// --- report -----------------------------------------------------------------------------------
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const f1 = (x) => (x === undefined ? "-" : x.toFixed(1));
const mb = (b) => `${(b / 1e6).toFixed(0)} MB`;
console.log(`capture: ${FILE}`);
console.log(`${data.headline}`);
console.log(`load: analysis with frame index ${(readMs / 1000).toFixed(1)} s, flow table ${(tableMs / 1000).toFixed(1)} s; frame index ${mb(index.bytes)} for ${index.size.toLocaleString("en-US")} segments`);
console.log("");
console.log("| key | presses | median ms | p95 ms | max ms |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [label, xs] of results) console.log(`| ${label} | ${xs.length} | ${f1(q(xs, 0.5))} | ${f1(q(xs, 0.95))} | ${f1(Math.max(...xs))} |`);
console.log("");
console.log("| flow opened | packets | ms to the ladder |");
console.log("| ---: | ---: | ---: |");
for (const o of openTimes) console.log(`| ${o.id} | ${o.id >= 0 ? data.table.packets[o.id].toLocaleString("en-US") : "-"} | ${o.ms === null ? "timed out" : o.ms.toFixed(0)} |`);
console.log("");
const nav = [...results].filter(([l]) => !/apply filter|open a group/.test(l)).flatMap(([, xs]) => xs);
console.log(`keys that move, sort, toggle or switch views (not applying a filter or listing a group's findings): median ${f1(q(nav, 0.5))} ms, p95 ${f1(q(nav, 0.95))} ms, max ${f1(Math.max(...nav))} ms`);
console.log(`pause between groups of keys: ${PAUSE_MS} ms`);
console.log(`peak RSS: synfin tui ${mb(tuiRss)}${analyzeRss ? `, synfin analyze ${mb(analyzeRss)} (${(tuiRss / analyzeRss).toFixed(2)}×)` : " (install `time` for synfin analyze's)"}`);
