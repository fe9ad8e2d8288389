#!/usr/bin/env node
// Agreement with tshark on one capture of any size: the Wireshark flags of
// every frame and the frames and bytes of every stream.
//
//   node bench/agree.mjs [FILE] [--examples N]
//
// Runs `tshark -T fields` (frame, tcp.stream, frame.len and the
// tcp.analysis.* flags) and `synfin analyze --csv` and `synfin flows --csv`
// side by side, and compares them as they stream in: per flag, the frames
// tshark flags, the frames synfin flags, the frames both flag, precision and
// recall; then the streams whose frame or byte count differs. Memory holds
// one number per stream and one per flagged frame, never a whole report.
// Exit status 0 when everything agrees, 1 when something differs, 2 on a
// usage or tool error. A damaged capture makes both tools exit 2 after what
// they could read; that much is compared, and what they said is shown. Without FILE it checks bench/.cache/bench.pcap.
//
// synfin reports fast and spurious retransmissions as their own kinds;
// tshark sets tcp.analysis.retransmission on them too, so they count as
// retransmissions here as well (see ../shared/reference/tcp-analysis.md).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const exIdx = args.indexOf("--examples");
const EXAMPLES = exIdx >= 0 ? Number(args[exIdx + 1]) : 5;
const rest = exIdx >= 0 ? [...args.slice(0, exIdx), ...args.slice(exIdx + 2)] : args;
if (rest.length > 1 || rest.some((a) => a.startsWith("-")) || !(EXAMPLES >= 0)) {
  console.error("usage: node bench/agree.mjs [FILE] [--examples N]");
  process.exit(2);
}
const FILE = rest[0] ?? path.join(ROOT, "bench", ".cache", "bench.pcap");
if (!fs.existsSync(FILE)) {
  console.error(`agree: ${FILE}: no such file`);
  process.exit(2);
}
if (spawnSync("tshark", ["-v"], { stdio: "ignore" }).status !== 0) {
  console.error("agree: tshark is not installed (apt-get install -y tshark)");
  process.exit(2);
}
if (!fs.existsSync(path.join(ROOT, "dist", "cli.js"))) {
  console.error("agree: dist/cli.js is missing: run `npm run build` first");
  process.exit(2);
}

// tshark's tcp.analysis field names, in the order of synfin's kind ids
const FIELDS = [
  ["retransmission", "retransmission"],
  ["fast_retransmission", "fast-retransmission"],
  ["spurious_retransmission", "spurious-retransmission"],
  ["out_of_order", "out-of-order"],
  ["lost_segment", "previous-segment-lost"],
  ["ack_lost_segment", "acked-unseen"],
  ["duplicate_ack", "duplicate-ack"],
  ["zero_window", "zero-window"],
  ["zero_window_probe", "zero-window-probe"],
  ["zero_window_probe_ack", "zero-window-probe-ack"],
  ["window_full", "window-full"],
  ["window_update", "window-update"],
  ["keep_alive", "keep-alive"],
  ["keep_alive_ack", "keep-alive-ack"],
  ["reused_ports", "port-reuse"],
];
const KIND_BIT = new Map(FIELDS.map(([, id], i) => [id, 1 << i]));
const RETRANSMISSION = KIND_BIT.get("retransmission");

/** What the tools said of a damaged capture. */
const notes = [];

/** Lines of a child's standard output; rejects when it fails. */
function linesOf(argv, onLine) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] === "node" ? process.execPath : argv[0], argv.slice(1), { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => { if (err.length < 4000) err += d; });
    const rl = readline.createInterface({ input: child.stdout, crlfDelay: Infinity });
    rl.on("line", onLine);
    child.on("error", reject);
    child.on("close", (code) => {
      // a damaged capture: both tools say so, exit 2 and print what they read before the damage, which is compared
      if (code === 2 && err.trim() !== "") notes.push(`${argv[0] === "node" ? `synfin ${argv[2]}` : argv[0]}: ${err.trim().split("\n").pop()}`);
      if (code === 0 || code === 2) resolve();
      else reject(new Error(`${argv.slice(0, 3).join(" ")} exited with ${code}: ${err.trim().split("\n").pop()}`));
    });
  });
}

/** A growable array of numbers indexed by stream id. */
class Column {
  a = new Float64Array(1024);
  add(i, v) {
    if (i >= this.a.length) {
      let n = this.a.length;
      while (n <= i) n *= 2;
      const b = new Float64Array(n);
      b.set(this.a);
      this.a = b;
    }
    this.a[i] += v;
  }
  get(i) { return i < this.a.length ? this.a[i] : 0; }
}

// ---------------------------------------------------------------- tshark
const want = new Map(); // frame -> flag bits
const tsPackets = new Column(), tsBytes = new Column();
let tsStreams = 0, tsFrames = 0;
const fieldArgs = FIELDS.flatMap(([f]) => ["-e", `tcp.analysis.${f}`]);
const tshark = linesOf(
  ["tshark", "-r", FILE, "-Y", "tcp && !icmp && !icmpv6", "-T", "fields", "-E", "separator=/t",
    "-e", "frame.number", "-e", "tcp.stream", "-e", "frame.len", ...fieldArgs],
  (line) => {
    const c = line.split("\t");
    if (c[1] === "") return; // a TCP header too short for a stream
    const stream = Number(c[1]);
    tsFrames++;
    tsPackets.add(stream, 1);
    tsBytes.add(stream, Number(c[2]));
    if (stream >= tsStreams) tsStreams = stream + 1;
    let bits = 0;
    for (let i = 0; i < FIELDS.length; i++) if (c[3 + i] !== undefined && c[3 + i] !== "") bits |= 1 << i;
    if (bits !== 0) want.set(Number(c[0]), bits);
  },
);

// ---------------------------------------------------------------- synfin
const got = new Map(); // frame -> flag bits
const prefix = `${FILE},`;
const analyze = linesOf(["node", "dist/cli.js", "analyze", "--csv", "--quiet", FILE], (line) => {
  if (!line.startsWith(prefix)) return; // the header
  // file,frame,flow,kind,...: the message, last, may hold commas
  const c = line.slice(prefix.length).split(",", 3);
  const bit = KIND_BIT.get(c[2]);
  if (bit === undefined || c[0] === "") return;
  const frame = Number(c[0]);
  let bits = (got.get(frame) ?? 0) | bit;
  if (c[2] === "fast-retransmission" || c[2] === "spurious-retransmission") bits |= RETRANSMISSION;
  got.set(frame, bits);
});
const flowRows = [];
let sfStreams = 0;
const flows = linesOf(["node", "dist/cli.js", "flows", "--csv", "--quiet", FILE], (line) => {
  if (!line.startsWith(prefix)) return;
  // file,id,client_ip,client_port,server_ip,server_port,first_frame,last_frame,first_ts,last_ts,duration,packets,bytes,...
  const c = line.slice(prefix.length).split(",", 12);
  sfStreams++;
  flowRows.push([Number(c[0]), Number(c[10]), Number(c[11])]);
});

try {
  await Promise.all([tshark, analyze, flows]);
} catch (e) {
  console.error(`agree: ${e.message}`);
  process.exit(2);
}

// ---------------------------------------------------------------- compare
let differs = false;
for (const n of notes) console.log(n);
console.log(`${FILE}: ${tsFrames} TCP frames with a stream; tshark streams ${tsStreams}, synfin flows ${sfStreams}`);
if (tsStreams !== sfStreams) differs = true;
let flowDiffs = 0;
const flowExamples = [];
for (const [id, packets, bytes] of flowRows) {
  if (tsPackets.get(id) !== packets || tsBytes.get(id) !== bytes) {
    flowDiffs++;
    if (flowExamples.length < EXAMPLES) flowExamples.push(`  flow ${id}: synfin ${packets} frames ${bytes} bytes, tshark ${tsPackets.get(id)} frames ${tsBytes.get(id)} bytes`);
  }
}
console.log(`streams whose frames or bytes differ: ${flowDiffs}`);
for (const l of flowExamples) console.log(l);
if (flowDiffs > 0) differs = true;

const rows = FIELDS.map(([, id]) => ({ id, ts: 0, sf: 0, both: 0, fn: [], fp: [] }));
for (const [frame, bits] of want) {
  const g = got.get(frame) ?? 0;
  for (let i = 0; i < FIELDS.length; i++) {
    if ((bits & (1 << i)) === 0) continue;
    rows[i].ts++;
    if ((g & (1 << i)) !== 0) rows[i].both++;
    else if (rows[i].fn.length < EXAMPLES) rows[i].fn.push(frame);
  }
}
for (const [frame, bits] of got) {
  const w = want.get(frame) ?? 0;
  for (let i = 0; i < FIELDS.length; i++) {
    if ((bits & (1 << i)) === 0) continue;
    rows[i].sf++;
    if ((w & (1 << i)) === 0 && rows[i].fp.length < EXAMPLES) rows[i].fp.push(frame);
  }
}
const ratio = (a, b) => (b === 0 ? "-" : (a / b).toFixed(4));
console.log("");
console.log("| flag | tshark frames | synfin frames | both | precision | recall |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) {
  if (r.ts === 0 && r.sf === 0) continue;
  console.log(`| ${r.id} | ${r.ts} | ${r.sf} | ${r.both} | ${ratio(r.both, r.sf)} | ${ratio(r.both, r.ts)} |`);
  if (r.both !== r.ts || r.both !== r.sf) differs = true;
}
for (const r of rows) {
  if (r.fn.length > 0) console.log(`${r.id}: flagged by tshark only, e.g. frames ${r.fn.join(" ")}`);
  if (r.fp.length > 0) console.log(`${r.id}: flagged by synfin only, e.g. frames ${r.fp.join(" ")}`);
}
console.log(differs ? "\nsynfin and tshark differ" : "\nsynfin and tshark agree on every frame and stream");
process.exit(differs ? 1 : 0);
