#!/usr/bin/env node
// Benchmark runner behind `npm run bench`.
//
// Runs every command of COMMANDS on the same capture, each N times under
// `/usr/bin/time -v`, and reports the median wall time and the peak RSS, with
// the speed of each command relative to the "node limit" (a plain reader that
// shows how fast Node itself can walk and decode the file).
//
//   node bench/run.mjs [--file PATH] [--runs N] [--only NAME,...] [--timeout SECS]
//
// Without --file it benches bench/.cache/bench.pcap and records it first with
// bench/make-capture.sh when it is missing (that needs root). Results are
// printed as a markdown table and written to bench/.cache/results.json.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CACHE = path.join(ROOT, "bench", ".cache");
const DEFAULT_FILE = path.join(CACHE, "bench.pcap");
const RESULTS = path.join(CACHE, "results.json");
const NODE_LIMIT = "../shared/bench/node-limit.mjs"; // relative to the repo root
const TIME = "/usr/bin/time";
const FILE = Symbol("FILE"); // stands for the capture's path in a command's argv

// ------------------------------------------------------------------ commands
// One entry per benchmarked command. To add one, append an object:
//   name     label in the table and for --only (unique)
//   argv     the command; FILE is replaced by the capture's path; "node" runs
//            with the same Node binary as this script; runs in the repo root
//   synfin   true for commands of this project (kept in results.json)
//   enabled  optional () => true | "reason it is skipped"
const COMMANDS = [
  {
    name: "synfin stats",
    argv: ["node", "dist/cli.js", "stats", FILE, "--json"],
    synfin: true,
  },
  {
    name: "node limit",
    argv: ["node", NODE_LIMIT, FILE],
    enabled: () => fileExists(path.join(ROOT, NODE_LIMIT)) || `${NODE_LIMIT} not found`,
  },
  {
    name: "tshark io,stat",
    argv: ["tshark", "-r", FILE, "-q", "-z", "io,stat,0"],
    enabled: () => hasTool("tshark") || "tshark is not installed",
  },

  // added by later features: enabled once `node dist/cli.js --help` lists the subcommand
  {
    name: "synfin flows",
    argv: ["node", "dist/cli.js", "flows", FILE, "--json"],
    synfin: true,
    enabled: () => hasSubcommand("flows"),
  },
  {
    name: "tshark conv,tcp",
    argv: ["tshark", "-r", FILE, "-q", "-z", "conv,tcp"],
    enabled: () => allOf(hasSubcommand("flows"), hasTool("tshark") || "tshark is not installed"),
  },
  {
    name: "synfin analyze",
    argv: ["node", "dist/cli.js", "analyze", FILE, "--json"],
    synfin: true,
    enabled: () => hasSubcommand("analyze"),
  },
  {
    name: "tshark expert",
    argv: ["tshark", "-r", FILE, "-q", "-z", "expert"],
    enabled: () => allOf(hasSubcommand("analyze"), hasTool("tshark") || "tshark is not installed"),
  },
];

// ------------------------------------------------------------------ helpers
function fileExists(p) {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

// true when every check is true, else the first reason
function allOf(...checks) {
  return checks.find((c) => c !== true) ?? true;
}

const toolCache = new Map();
function hasTool(tool) {
  if (!toolCache.has(tool)) {
    const r = spawnSync("sh", ["-c", 'command -v "$1"', "sh", tool], { stdio: "ignore" });
    toolCache.set(tool, r.status === 0);
  }
  return toolCache.get(tool);
}

let synfinHelp; // stdout of `node dist/cli.js --help`, or null when it fails
function hasSubcommand(name) {
  if (synfinHelp === undefined) {
    const r = spawnSync(process.execPath, ["dist/cli.js", "--help"], { cwd: ROOT, encoding: "utf8" });
    synfinHelp = r.status === 0 ? r.stdout : null;
  }
  if (synfinHelp === null) return "dist/cli.js --help failed (not built?)";
  // commander lists commands indented by two spaces: "  flows [options] <file>"
  const re = new RegExp(`^ {2}${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(\\s|\\||$)`, "m");
  return re.test(synfinHelp) || `dist/cli.js has no "${name}" subcommand yet`;
}

function resolveArgv(argv, file) {
  return argv.map((a) => (a === FILE ? file : a));
}
function displayArgv(argv, shownFile) {
  return resolveArgv(argv, shownFile)
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`))
    .join(" ");
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(1);
}

function usage() {
  const names = COMMANDS.map((c) => `"${c.name}"`).join(", ");
  console.log(`usage: node bench/run.mjs [--file PATH] [--runs N] [--only NAME,...] [--timeout SECS]

  --file PATH     capture to bench (default: bench/.cache/bench.pcap, recorded
                  with bench/make-capture.sh when missing; needs root)
  --runs N        runs per command (default 3); the table shows the median
  --only NAMES    comma-separated subset of: ${names}
  --timeout SECS  give up on a run after SECS seconds (default 1800)`);
}

// "--only" names may themselves contain commas ("tshark io,stat"): rejoin the
// pieces greedily while they still form the start of a known name.
function parseOnly(list) {
  const known = new Map(COMMANDS.map((c) => [c.name.toLowerCase(), c.name]));
  const parts = list.split(",").map((s) => s.trim());
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    let cur = parts[i];
    if (cur === "") continue;
    while (!known.has(cur.toLowerCase()) && i + 1 < parts.length &&
           [...known.keys()].some((k) => k.startsWith(`${cur},`.toLowerCase()))) {
      cur += `,${parts[++i]}`;
    }
    const name = known.get(cur.toLowerCase());
    if (!name) fail(`--only: unknown command "${cur}" (known: ${COMMANDS.map((c) => c.name).join("; ")})`);
    out.push(name);
  }
  return out;
}

function parseArgs(args) {
  const opts = { file: null, runs: 3, only: null, timeout: 1800 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= args.length) fail(`${flag} needs a value`);
      return args[++i];
    };
    switch (flag) {
      case "--file": opts.file = path.resolve(value()); break;
      case "--runs": {
        const v = value();
        opts.runs = Number(v);
        if (!Number.isInteger(opts.runs) || opts.runs < 1) fail(`--runs: expected a positive integer, got "${v}"`);
        break;
      }
      case "--only": opts.only = [...(opts.only ?? []), ...parseOnly(value())]; break;
      case "--timeout": {
        const v = value();
        opts.timeout = Number(v);
        if (!(opts.timeout > 0)) fail(`--timeout: expected seconds, got "${v}"`);
        break;
      }
      case "-h": case "--help": usage(); process.exit(0); break;
      default: fail(`unknown argument "${a}" (see --help)`);
    }
  }
  return opts;
}

// Elapsed (wall clock) time from `time -v`: "h:mm:ss" or "m:ss.cc"
function parseClock(s) {
  const parts = s.trim().split(":").map(Number);
  if (parts.some((n) => !Number.isFinite(n))) return null;
  return parts.reduce((acc, n) => acc * 60 + n, 0);
}

// Runs one command under `time -v` in its own process group; stdout is discarded.
let current = null; // the running child, killed on Ctrl-C
function timedRun(argv, timeoutSecs) {
  const [cmd, ...rest] = argv;
  const exe = cmd === "node" ? process.execPath : cmd;
  return new Promise((resolve) => {
    const child = spawn(TIME, ["-v", exe, ...rest], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    current = child;
    let stderr = "";
    let timedOut = false;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => {
      stderr += d;
      if (stderr.length > 4e6) stderr = stderr.slice(-2e6); // keep the tail (time's report)
    });
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ }
    }, timeoutSecs * 1000);
    child.on("error", (e) => {
      clearTimeout(timer);
      current = null;
      resolve({ ok: false, error: `cannot start ${TIME}: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      current = null;
      const at = stderr.lastIndexOf("\tCommand being timed:");
      const report = at >= 0 ? stderr.slice(at) : "";
      let own = at >= 0 ? stderr.slice(0, at) : stderr;
      own = own.replace(/Command (exited with non-zero status \d+|terminated by signal \d+)\s*$/, "").trimEnd();
      const wall = /Elapsed \(wall clock\) time.*?\): (\S+)/.exec(report);
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
      const status = /Exit status: (\d+)/.exec(report);
      const exitCode = status ? Number(status[1]) : code;
      const res = {
        wallSeconds: wall ? parseClock(wall[1]) : null,
        maxRssKiB: rss ? Number(rss[1]) : null,
        exitCode,
        stderrTail: excerpt(own),
      };
      if (timedOut) resolve({ ...res, ok: false, error: `timed out after ${timeoutSecs} s` });
      else if (signal) resolve({ ...res, ok: false, error: `killed by ${signal}` });
      else if (/Command terminated by signal (\d+)/.exec(stderr)) resolve({ ...res, ok: false, error: `terminated by signal ${/Command terminated by signal (\d+)/.exec(stderr)[1]}` });
      else if (exitCode !== 0) resolve({ ...res, ok: false, error: `exit status ${exitCode}` });
      else if (res.wallSeconds === null || res.maxRssKiB === null) resolve({ ...res, ok: false, error: `no report from ${TIME} -v` });
      else resolve({ ...res, ok: true });
    });
  });
}

for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (current) { try { process.kill(-current.pid, "SIGKILL"); } catch { /* gone */ } }
    process.exit(sig === "SIGINT" ? 130 : 143);
  });
}

// A short excerpt of a failed command's stderr: all of it when short, else the
// first line that names an error and the last few lines.
function excerpt(text) {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length <= 8) return lines.join("\n");
  const err = lines.find((l) => /^\s*\w*Error\b|\berror:/i.test(l)); // "TypeError: …", "synfin: error: …"
  const tail = lines.slice(-3);
  return [...(err && !tail.includes(err) ? [err, "…"] : ["…"]), ...tail].join("\n");
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const fmtInt = (n) => (n == null ? "—" : Math.round(n).toLocaleString("en-US"));
const fmt = (n, d) => (n == null ? "—" : n.toFixed(d));

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0 || !r.stdout) return null;
  return r.stdout.split("\n")[0].trim();
}

// ------------------------------------------------------------------ main
const opts = parseArgs(process.argv.slice(2));
if (!fileExists(TIME)) fail(`${TIME} not found; install the "time" package (apt-get install time)`);

const file = opts.file ?? DEFAULT_FILE;
if (!fileExists(file)) {
  if (opts.file) fail(`${file}: no such file`);
  console.error(`bench: ${path.relative(ROOT, file)} is missing; recording it with bench/make-capture.sh`);
  const r = spawnSync("bash", [path.join(ROOT, "bench", "make-capture.sh")], { cwd: ROOT, stdio: "inherit" });
  if (r.status !== 0 || !fileExists(file)) {
    fail("could not record the capture (bench/make-capture.sh needs root and tcpdump, iproute2, nftables, ethtool, nginx, apache2-utils); run it once with sudo, or pass --file PATH");
  }
}
const fileBytes = fs.statSync(file).size;
const relFile = path.relative(ROOT, file).startsWith("..") ? file : path.relative(ROOT, file);

// the commands of this run
const wanted = opts.only ? new Set(opts.only) : null;
const selected = COMMANDS.filter((c) => !wanted || wanted.has(c.name));
const rows = [];
for (const c of selected) {
  const on = c.enabled ? c.enabled() : true;
  rows.push({
    name: c.name,
    command: displayArgv(c.argv, relFile),
    argv: resolveArgv(c.argv, file),
    synfin: !!c.synfin,
    status: on === true ? "pending" : "skipped",
    reason: on === true ? null : on,
    runs: [],
  });
}

// packet count: from the node limit's JSON, else from `synfin stats --json`
let packets = null, packetsFrom = null, flows = null, connections = null;
if (fileExists(path.join(ROOT, NODE_LIMIT))) {
  const r = spawnSync(process.execPath, [NODE_LIMIT, file], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
  try {
    const j = JSON.parse(r.stdout.trim().split("\n").pop());
    if (Number.isFinite(j.packets)) {
      packets = j.packets;
      packetsFrom = "node limit";
      flows = j.flows ?? null;
      connections = j.connections ?? null;
    }
  } catch { /* fall through */ }
}
if (packets === null) {
  const r = spawnSync(process.execPath, ["dist/cli.js", "stats", file, "--json"], { cwd: ROOT, encoding: "utf8", maxBuffer: 256 << 20 });
  try {
    let j = JSON.parse(r.stdout);
    if (Array.isArray(j)) j = j[0];
    if (Number.isFinite(j?.frames)) {
      packets = j.frames;
      packetsFrom = "synfin stats";
    }
  } catch { /* unknown */ }
}

const machine = {
  cpus: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
  cpuModel: os.cpus()[0]?.model?.trim() ?? null,
  memoryGB: +(os.totalmem() / 1e9).toFixed(1),
  kernel: `${os.type()} ${os.release()}`,
  node: process.version,
  tshark: hasTool("tshark") ? firstLine("tshark", ["--version"]) : null,
};

const active = rows.filter((r) => r.status === "pending");
const total = active.length * opts.runs;
console.error(`bench: ${relFile}: ${(fileBytes / 1e6).toFixed(1)} MB, ${fmtInt(packets)} packets; ` +
  `${active.length} command(s) x ${opts.runs} run(s)`);
// round-robin: run 1 of every command, then run 2, ... so drift hits all alike
let done = 0;
for (let run = 1; run <= opts.runs; run++) {
  for (const row of active) {
    if (row.status === "failed") continue;
    const script = row.argv[0] === "node" ? row.argv[1] : null;
    const res = script && !fileExists(path.resolve(ROOT, script))
      ? { ok: false, error: `${script} not found${script.startsWith("dist/") ? " (not built: run npm run build)" : ""}` }
      : await timedRun(row.argv, opts.timeout);
    done++;
    row.runs.push({ wallSeconds: res.wallSeconds ?? null, maxRssKiB: res.maxRssKiB ?? null, exitCode: res.exitCode ?? null });
    if (res.ok) {
      console.error(`  [${done}/${total}] ${row.name}: ${res.wallSeconds.toFixed(2)} s, ${(res.maxRssKiB * 1024 / 1e6).toFixed(0)} MB`);
    } else {
      row.status = "failed";
      row.error = res.error;
      row.stderr = res.stderrTail ?? "";
      console.error(`  [${done}/${total}] ${row.name}: FAILED (${res.error})${row.stderr ? `\n${row.stderr.replace(/^/gm, "      ")}` : ""}`);
    }
  }
}

for (const row of active) {
  if (row.status === "failed") continue;
  row.status = "ok";
  row.medianWallSeconds = median(row.runs.map((r) => r.wallSeconds));
  row.peakRssMB = Math.max(...row.runs.map((r) => r.maxRssKiB)) * 1024 / 1e6;
  row.packetsPerSec = packets != null && row.medianWallSeconds > 0 ? packets / row.medianWallSeconds : null;
  row.MBPerSec = row.medianWallSeconds > 0 ? fileBytes / row.medianWallSeconds / 1e6 : null;
}
const limit = rows.find((r) => r.name === "node limit" && r.status === "ok");
for (const row of rows) {
  if (row.status !== "ok") continue;
  row.speedVsNodeLimit = limit && row.medianWallSeconds > 0 ? limit.medianWallSeconds / row.medianWallSeconds : null;
}

// ------------------------------------------------------------------ report
const lines = [];
lines.push("## synfin bench", "");
lines.push(`- machine: ${machine.cpus} CPUs (${machine.cpuModel ?? "unknown CPU"}), ${machine.memoryGB} GB RAM, ${machine.kernel}`);
lines.push(`- node ${machine.node}; ${machine.tshark ?? "tshark not installed"}`);
lines.push(`- file: ${relFile}, ${(fileBytes / 1e6).toFixed(1)} MB (${fmtInt(fileBytes)} bytes), ${fmtInt(packets)} packets` +
  (packetsFrom ? ` (counted by ${packetsFrom}${flows != null ? `: ${fmtInt(flows)} TCP 4-tuples, ${fmtInt(connections)} connections` : ""})` : ""));
lines.push(`- ${opts.runs} run(s) per command: median wall time, peak RSS = max over runs`, "");
lines.push("| command | median wall s | packets/s | MB/s | peak RSS MB | speed vs node limit |");
lines.push("|---|---:|---:|---:|---:|---:|");
for (const row of rows) {
  if (row.status === "ok") {
    lines.push(`| ${row.name} | ${fmt(row.medianWallSeconds, 2)} | ${fmtInt(row.packetsPerSec)} | ${fmt(row.MBPerSec, 1)} | ` +
      `${fmt(row.peakRssMB, 0)} | ${row.speedVsNodeLimit == null ? "—" : `${row.speedVsNodeLimit.toFixed(2)}×`} |`);
  } else if (row.status === "failed") {
    lines.push(`| ${row.name} | failed | — | — | — | — |`);
  }
}
const failed = rows.filter((r) => r.status === "failed");
const skipped = rows.filter((r) => r.status === "skipped");
if (failed.length || skipped.length || !limit) lines.push("");
for (const row of failed) {
  lines.push(`- ${row.name} failed (${row.error}): \`${row.command}\``);
  if (row.stderr) lines.push(...row.stderr.split("\n").map((l) => `    ${l}`));
}
for (const row of skipped) lines.push(`- ${row.name} skipped: ${row.reason}`);
if (!limit) lines.push("- speed vs node limit: the node limit did not run in this bench");
console.log(lines.join("\n"));

const result = {
  date: new Date().toISOString(),
  machine,
  file: { path: relFile, bytes: fileBytes, packets, packetsFrom, flows, connections },
  runsPerCommand: opts.runs,
  rows: rows.map(({ argv, ...r }) => r),
};
fs.mkdirSync(CACHE, { recursive: true });
fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
console.error(`bench: results written to ${path.relative(ROOT, RESULTS)}`);
process.exit(failed.length ? 1 : 0);
