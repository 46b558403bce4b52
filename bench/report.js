#!/usr/bin/env node
// Prints the benchmark tables from the files bench/run.sh writes.
//
// Usage: node bench/report.js throughput FILE   (lines: workload<TAB>server<TAB>ops/s|failed)
//        node bench/report.js memory FILE       (lines: server<TAB>keys<TAB>rss-before-kB<TAB>rss-after-kB)
// Servers are named "damselfly" and "redis". The ratio column is
// Damselfly / Redis: above 1 means Damselfly is faster (throughput) or
// uses more memory per key (memory).
'use strict';

const fs = require('node:fs');

function readRows(file) {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split('\t'));
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function formatRatio(damselfly, redis) {
  return redis > 0 && Number.isFinite(damselfly) ? (damselfly / redis).toFixed(2) : 'n/a';
}

function formatOpsPerSecond(value) {
  return Number.isFinite(value) ? String(Math.round(value)) : 'failed';
}

function printTable(header, rows) {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => String(row[column]).length)),
  );
  const formatRow = (row) =>
    row.map((cell, column) => String(cell).padStart(widths[column])).join('  ');

  console.log(formatRow(header));
  for (const row of rows) console.log(formatRow(row));
}

function reportThroughput(file) {
  // Keeps the workloads in the order they first appear in the file.
  const samples = new Map();
  for (const [workload, server, opsPerSecond] of readRows(file)) {
    if (!samples.has(workload)) samples.set(workload, { damselfly: [], redis: [] });
    // A failed run counts as no sample, so its median covers the runs that passed.
    if (opsPerSecond !== 'failed') samples.get(workload)[server].push(Number(opsPerSecond));
  }

  const rows = [...samples].map(([workload, { damselfly, redis }]) => {
    const damselflyMedian = damselfly.length > 0 ? median(damselfly) : NaN;
    const redisMedian = redis.length > 0 ? median(redis) : NaN;
    return [
      workload,
      formatOpsPerSecond(damselflyMedian),
      formatOpsPerSecond(redisMedian),
      formatRatio(damselflyMedian, redisMedian),
      `${damselfly.length}/${redis.length}`,
    ];
  });

  printTable(['workload', 'damselfly ops/s', 'redis ops/s', 'ratio', 'runs passed'], rows);
}

function reportMemory(file) {
  const bytesPerKey = {};
  const rows = readRows(file).map(([server, keys, beforeKb, afterKb]) => {
    const perKey = ((Number(afterKb) - Number(beforeKb)) * 1024) / Number(keys);
    bytesPerKey[server] = perKey;
    return [server, keys, beforeKb, afterKb, perKey.toFixed(1)];
  });

  printTable(['server', 'keys', 'RSS before kB', 'RSS after kB', 'bytes/key'], rows);
  console.log(`ratio damselfly/redis: ${formatRatio(bytesPerKey.damselfly, bytesPerKey.redis)}`);
}

const [kind, file] = process.argv.slice(2);
if (kind === 'throughput' && file) reportThroughput(file);
else if (kind === 'memory' && file) reportMemory(file);
else {
  console.error('usage: node bench/report.js throughput|memory FILE');
  process.exit(2);
}
