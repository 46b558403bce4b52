#!/usr/bin/env node
// Timing and memory probes for bench/persistence.sh. Each prints lines of
// "name<TAB>value" on stdout and exits 1 with a message on stderr on failure.
//
// Usage:
//   node bench/persistence-probe.js save PORT
//     Sends SAVE and prints save_ms.
//   node bench/persistence-probe.js bgsave PORT PID [OUTPUT COMMAND ARGS...]
//     Sends BGSAVE, polls INFO persistence every 10 ms until
//     rdb_bgsave_in_progress is 0, checks rdb_last_bgsave_status:ok, and
//     prints bgsave_ms. Every 20 ms it samples VmRSS and Pss of PID plus its
//     child processes (Redis forks one to save), and prints the figures just
//     before the BGSAVE and the peaks. With COMMAND, it starts COMMAND as soon
//     as the first BGSAVE is accepted, writes its output to OUTPUT, and starts
//     the next BGSAVE as soon as one ends, until COMMAND has exited. It then
//     prints the number of saves, command_ms and overlap_pct (the share of the
//     command's run time during which a save was running).
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const { spawn } = require('node:child_process');

const POLL_MS = 10;
const SAMPLE_MS = 20;

/**
 * Parses one RESP2 reply (simple string, error, integer or bulk string) at
 * `offset`. Returns { value, end }, or null when the reply is not complete.
 * Errors come back as { error: text }.
 */
function parseReply(buffer, offset) {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const type = String.fromCharCode(buffer[offset]);
  const line = buffer.toString('latin1', offset + 1, lineEnd);
  if (type === '+' || type === ':') return { value: line, end: lineEnd + 2 };
  if (type === '-') return { value: { error: line }, end: lineEnd + 2 };
  if (type !== '$') throw new Error(`unexpected reply type ${JSON.stringify(type)}`);

  const length = Number(line);
  if (length < 0) return { value: null, end: lineEnd + 2 };
  const end = lineEnd + 2 + length + 2;
  if (buffer.length < end) return null;
  return { value: buffer.toString('latin1', lineEnd + 2, end - 2), end };
}

/** A client for one connection that sends inline commands and awaits replies in order. */
class Connection {
  #socket;
  #buffer = Buffer.alloc(0);
  #pending = [];
  #failure = null;

  static open(port) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new Connection(socket)));
      socket.once('error', reject);
    });
  }

  constructor(socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => this.#receive(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  command(text) {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#socket.write(`${text}\r\n`);
    });
  }

  close() {
    this.#socket.destroy();
  }

  #receive(chunk) {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    let offset = 0;
    for (let reply; (reply = parseReply(this.#buffer, offset)) !== null; offset = reply.end) {
      this.#pending.shift()?.resolve(reply.value);
    }
    this.#buffer = this.#buffer.subarray(offset);
  }

  #fail(error) {
    this.#failure ??= error;
    for (const { reject } of this.#pending.splice(0)) reject(error);
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function print(name, value) {
  process.stdout.write(`${name}\t${value}\n`);
}

/** Reads one "Name:   123 kB" field of a /proc file in kB; 0 when the process is gone. */
function readProcField(path, field) {
  try {
    const match = fs.readFileSync(path, 'latin1').match(new RegExp(`^${field}:\\s+(\\d+)`, 'm'));
    return match === null ? 0 : Number(match[1]);
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ESRCH') return 0;
    throw error;
  }
}

/** Returns the ids of the direct children of `pid`, read from every thread's children file. */
function childrenOf(pid) {
  const children = [];
  let threads;
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const thread of threads) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/task/${thread}/children`, 'latin1');
      children.push(...text.split(' ').filter((word) => word !== ''));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return children;
}

/** Returns the VmRSS and Pss (kB) of `pid` and its children together. */
function sampleMemory(pid) {
  const sample = { rss: 0, pss: 0 };
  for (const id of [String(pid), ...childrenOf(pid)]) {
    sample.rss += readProcField(`/proc/${id}/status`, 'VmRSS');
    sample.pss += readProcField(`/proc/${id}/smaps_rollup`, 'Pss');
  }
  return sample;
}

function infoField(info, name) {
  const match = info.match(new RegExp(`^${name}:(.*?)\\r?$`, 'm'));
  if (match === null) throw new Error(`INFO persistence has no ${name}`);
  return match[1];
}

/**
 * Polls INFO persistence until the background save has ended; returns the time it ended.
 * NOTE: Redis clears rdb_bgsave_in_progress only when its cron reaps the save child
 * (every 100 ms at the default hz 10), so its BGSAVE time can read up to 100 ms long.
 */
async function waitForBackgroundSave(connection) {
  for (;;) {
    const info = await connection.command('INFO persistence');
    if (infoField(info, 'rdb_bgsave_in_progress') === '0') {
      const endedAt = Date.now();
      const status = infoField(info, 'rdb_last_bgsave_status');
      if (status !== 'ok') throw new Error(`rdb_last_bgsave_status is ${status}`);
      return endedAt;
    }
    await sleep(POLL_MS);
  }
}

/** Starts the command with its output in `outputPath`; resolves with its end time. */
function runCommand(outputPath, words) {
  const output = fs.openSync(outputPath, 'w');
  const child = spawn(words[0], words.slice(1), { stdio: ['ignore', output, output] });
  fs.closeSync(output);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(Date.now());
      else reject(new Error(`${words[0]} exited with ${code}; its output is in ${outputPath}`));
    });
  });
}

/** Sends BGSAVE and waits for it to end; calls `onStarted` once it is accepted. */
async function backgroundSave(connection, onStarted = () => {}) {
  const startedAt = Date.now();
  const reply = await connection.command('BGSAVE');
  if (reply !== 'Background saving started') throw new Error(`BGSAVE: ${JSON.stringify(reply)}`);
  onStarted();
  return { startedAt, endedAt: await waitForBackgroundSave(connection) };
}

/** Runs the command while saves follow each other; prints its time and the saves' share. */
async function saveDuringCommand(connection, outputPath, commandWords) {
  const run = { startedAt: 0, endedAt: null, error: null };
  const saves = [];
  const startCommand = () => {
    run.startedAt = Date.now();
    runCommand(outputPath, commandWords).then(
      (endedAt) => (run.endedAt = endedAt),
      (error) => (run.error = error),
    );
  };

  saves.push(await backgroundSave(connection, startCommand));
  while (run.endedAt === null && run.error === null) saves.push(await backgroundSave(connection));
  if (run.error !== null) throw run.error;

  const commandMs = run.endedAt - run.startedAt;
  let overlapMs = 0;
  for (const { startedAt, endedAt } of saves) {
    overlapMs += Math.max(0, Math.min(endedAt, run.endedAt) - Math.max(startedAt, run.startedAt));
  }
  print('bgsave_ms', saves[0].endedAt - saves[0].startedAt);
  print('saves', saves.length);
  print('command_ms', commandMs);
  print('overlap_pct', Math.round((100 * overlapMs) / Math.max(1, commandMs)));
}

async function measureBackgroundSave(port, pid, outputPath, commandWords) {
  const connection = await Connection.open(port);
  const before = sampleMemory(pid);
  const peak = { ...before };
  const sampler = setInterval(() => {
    const sample = sampleMemory(pid);
    peak.rss = Math.max(peak.rss, sample.rss);
    peak.pss = Math.max(peak.pss, sample.pss);
  }, SAMPLE_MS);

  try {
    if (commandWords.length > 0) {
      await saveDuringCommand(connection, outputPath, commandWords);
    } else {
      const { startedAt, endedAt } = await backgroundSave(connection);
      print('bgsave_ms', endedAt - startedAt);
    }
  } finally {
    clearInterval(sampler);
    connection.close();
  }
  print('rss_before_kb', before.rss);
  print('rss_peak_kb', peak.rss);
  print('pss_before_kb', before.pss);
  print('pss_peak_kb', peak.pss);
}

async function measureSave(port) {
  const connection = await Connection.open(port);
  try {
    const startedAt = Date.now();
    const reply = await connection.command('SAVE');
    if (reply !== 'OK') throw new Error(`SAVE: ${JSON.stringify(reply)}`);
    print('save_ms', Date.now() - startedAt);
  } finally {
    connection.close();
  }
}

async function main(argv) {
  const [probe, port, ...rest] = argv;
  const portNumber = Number(port);
  if (probe === 'save' && rest.length === 0) {
    await measureSave(portNumber);
  } else if (probe === 'bgsave' && (rest.length === 1 || rest.length >= 3)) {
    await measureBackgroundSave(portNumber, Number(rest[0]), rest[1], rest.slice(2));
  } else {
    throw new Error('usage: see the header of bench/persistence-probe.js');
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(`persistence probe failed: ${error.message}`);
  process.exit(1);
});
