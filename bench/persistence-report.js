#!/usr/bin/env node
// Prints the table of bench/persistence.sh from the file it writes.
//
// Usage: node bench/persistence-report.js FILE
// Lines: round<TAB>server<TAB>measurement<TAB>value, where server is
// "damselfly" or "redis". Each figure is computed per round and the table
// shows its median over the rounds. The ratio column is Damselfly / Redis.
// MB means 10^6 bytes.
'use strict';

const fs = require('node:fs');

const SERVERS = ['damselfly', 'redis'];
const MB = 1e6;
const KB_PER_MB = MB / 1024;

/** Each figure: label, decimals, and how to compute it from one round's measurements. */
const SECTIONS = [
  {
    title: 'Snapshot save',
    figures: [
      ['SAVE time (ms)', 0, (m) => m.save_ms],
      ['BGSAVE time (ms)', 0, (m) => m.bgsave_ms],
      ['snapshot file (MB)', 1, (m) => m.save_bytes / MB],
      ['SAVE MB/s', 1, (m) => m.save_bytes / MB / (m.save_ms / 1000)],
      ['BGSAVE MB/s', 1, (m) => m.bgsave_bytes / MB / (m.bgsave_ms / 1000)],
    ],
  },
  {
    title: 'Snapshot load',
    figures: [
      ['start to PONG, no file (ms)', 0, (m) => m.empty_ready_ms],
      ['start to PONG, with file (ms)', 0, (m) => m.load_ready_ms],
      ['load MB/s (net of empty start)', 1, loadRate],
    ],
  },
  {
    title: 'GET during back-to-back BGSAVEs (redis-benchmark -c 50)',
    figures: [
      ['GET p99 without save (ms)', 3, (m) => m.get_idle_p99_ms],
      ['GET p99 during BGSAVE (ms)', 3, (m) => m.get_save_p99_ms],
      ['p99 during / without', 2, (m) => m.get_save_p99_ms / m.get_idle_p99_ms],
      ['GET ops/s without save', 0, (m) => m.get_idle_rps],
      ['GET ops/s during BGSAVE', 0, (m) => m.get_save_rps],
      ['run time with a save running (%)', 0, (m) => m.get_save_overlap_pct],
      ['BGSAVEs during the run', 0, (m) => m.get_save_saves],
      ['first BGSAVE under GET load (ms)', 0, (m) => m.get_save_bgsave_ms],
    ],
  },
  {
    title: 'Memory during BGSAVE (server plus forked child)',
    figures: [
      ['RSS before (MB)', 1, (m) => m.rss_before_kb / KB_PER_MB],
      ['peak RSS (MB)', 1, (m) => m.rss_peak_kb / KB_PER_MB],
      ['peak / before, RSS', 2, (m) => m.rss_peak_kb / m.rss_before_kb],
      ['peak / before, PSS', 2, (m) => m.pss_peak_kb / m.pss_before_kb],
      [
        'peak / before, RSS, under GET load',
        2,
        (m) => m.get_save_rss_peak_kb / m.get_save_rss_before_kb,
      ],
    ],
  },
  {
    title: 'AOF writes (redis-benchmark -t set -c 50)',
    figures: [
      ['appendfsync always, SET ops/s', 0, (m) => m.aof_always_p1_rps],
      ['appendfsync always, -P 16 ops/s', 0, (m) => m.aof_always_p16_rps],
      ['appendfsync everysec, SET ops/s', 0, (m) => m.aof_everysec_p1_rps],
      ['appendfsync everysec, -P 16 ops/s', 0, (m) => m.aof_everysec_p16_rps],
    ],
  },
];

/** Damselfly's targets: the figure's label and the maximum it may reach. */
const TARGETS = [
  ['p99 during / without', 3],
  ['peak / before, RSS', 1.3],
];

function loadRate(m) {
  const netMs = m.load_ready_ms - m.empty_ready_ms;
  return netMs > 0 ? m.save_bytes / MB / (netMs / 1000) : NaN;
}

/** Returns measurements by server, then by round, as objects of numbers. */
function readMeasurements(file) {
  const byServer = Object.fromEntries(SERVERS.map((server) => [server, new Map()]));
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const [round, server, name, value] = line.split('\t');
    const rounds = byServer[server];
    if (rounds === undefined) throw new Error(`unknown server ${server} in ${file}`);
    if (!rounds.has(round)) rounds.set(round, {});
    rounds.get(round)[name] = Number(value);
  }
  return byServer;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Returns the median of a figure over the rounds where it could be computed, or NaN. */
function figureMedian(rounds, compute) {
  const values = [...rounds.values()].map(compute).filter(Number.isFinite);
  return values.length > 0 ? median(values) : NaN;
}

function format(value, decimals) {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

function printTable(rows) {
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => String(row[column]).length)),
  );
  for (const row of rows) {
    const cells = row.map((cell, column) =>
      column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]),
    );
    console.log(cells.join('  ').trimEnd());
  }
}

function printFigures(measurements) {
  const rows = [['figure', 'damselfly', 'redis', 'ratio']];
  for (const { title, figures } of SECTIONS) {
    rows.push([title, '', '', '']);
    for (const [label, decimals, compute] of figures) {
      const damselfly = figureMedian(measurements.damselfly, compute);
      const redis = figureMedian(measurements.redis, compute);
      const ratio = redis > 0 ? damselfly / redis : NaN;
      rows.push([`  ${label}`, format(damselfly, decimals), format(redis, decimals)]);
      rows[rows.length - 1].push(format(ratio, 2));
    }
  }
  printTable(rows);
}

/** Prints whether Damselfly's median meets each target, with the value of every round. */
function printTargets(measurements) {
  const figures = new Map(SECTIONS.flatMap((section) => section.figures.map((f) => [f[0], f[2]])));
  for (const [label, maximum] of TARGETS) {
    const compute = figures.get(label);
    const value = figureMedian(measurements.damselfly, compute);
    const rounds = [...measurements.damselfly.values()].map((m) => format(compute(m), 2));
    const verdict = !Number.isFinite(value) ? 'not measured' : value <= maximum ? 'met' : 'MISSED';
    console.log(
      `Damselfly target: ${label} at most ${maximum}: ${format(value, 2)} ` +
        `(${verdict}; rounds: ${rounds.join(', ')})`,
    );
  }
}

function report(file) {
  const measurements = readMeasurements(file);
  printFigures(measurements);
  console.log('');
  printTargets(measurements);
}

const file = process.argv[2];
if (file === undefined) {
  console.error('usage: node bench/persistence-report.js FILE');
  process.exit(2);
}
report(file);
