#!/usr/bin/env node
/**
 * A load driver for the Memcached text protocol: many connections, each
 * keeping `--pipeline` requests in flight, for a fixed time. It prints the
 * requests completed per second and the client's CPU time per request.
 * Works against memcached and Damselfly's memcached port alike, so their
 * figures can be compared.
 *
 *   node bench/memcache-load.js --port 11211 --connections 50 --op get --seconds 10
 *
 * Options: --host (127.0.0.1 only makes sense), --port, --connections,
 * --pipeline (requests in flight per connection), --op (get, set or mixed:
 * 9 gets to 1 set), --multiget (keys per get request), --keys (key space),
 * --value-size (bytes), --seconds (measured time), --warmup (seconds of load
 * before the measured time), --threads (worker threads sharing the
 * connections), --server-pid (a process whose CPU time per request, from
 * /proc/PID/stat, is printed too; Linux only).
 *
 * The driver shares the machine's cores with the server it measures, so it
 * keeps its own CPU time per request low. Requests are built once before
 * the run, each connection reads into one buffer of its own (net.connect's
 * `onread`), and replies are counted by scanning bytes.
 */
'use strict';

const fs = require('node:fs');
const net = require('node:net');
const { execFileSync } = require('node:child_process');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const DEFAULTS = {
  host: '127.0.0.1',
  port: 11211,
  connections: 50,
  pipeline: 1,
  op: 'get',
  multiget: 1,
  keys: 10000,
  'value-size': 32,
  seconds: 10,
  warmup: 1,
  threads: 1,
  'server-pid': 0,
};

/** Seconds the preload and the end of the run may take before the driver gives up. */
const GRACE_SECONDS = 30;
const LF = 0x0a;
const CR = 0x0d;
const LETTER_D = 0x44;
const LETTER_X = 0x78;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const READ_BUFFER_SIZE = 64 * 1024;
/** Keys are visited with this stride, so that consecutive requests use different keys. */
const KEY_STRIDE = 7919;

function parseOptions(argv) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in DEFAULTS) || i + 1 >= argv.length) {
      throw new Error(`unknown or incomplete option ${argv[i]}; see the header of this file`);
    }
    const value = argv[i + 1];
    options[name] = typeof DEFAULTS[name] === 'number' ? Number(value) : value;
  }
  if (!['get', 'set', 'mixed'].includes(options.op)) {
    throw new Error(`invalid --op ${options.op}: expected get, set or mixed`);
  }
  if (!(options.multiget >= 1 && options.multiget <= options.keys)) {
    throw new Error(`invalid --multiget ${options.multiget}: expected 1 to --keys`);
  }
  return options;
}

/** Builds the request bytes for every key: a set, and a get of `multiget` keys from it on. */
function buildRequests(options) {
  const value = 'x'.repeat(options['value-size']);
  const sets = [];
  const gets = [];
  for (let i = 0; i < options.keys; i++) {
    sets.push(Buffer.from(`set key:${i} 0 0 ${value.length}\r\n${value}\r\n`, 'latin1'));
    const names = [];
    for (let k = 0; k < options.multiget; k++) {
      names.push(`key:${(i + k * KEY_STRIDE) % options.keys}`);
    }
    gets.push(Buffer.from(`get ${names.join(' ')}\r\n`, 'latin1'));
  }
  return { sets, gets };
}

/**
 * Counts complete replies in the bytes of one connection. Every reply the
 * driver expects ends with a line ending in `D` (END, STORED, NOT_STORED),
 * and no other line does, because keys end with a digit and values are all
 * `x`. A line ending in anything else (ERROR, CLIENT_ERROR ...) stops the run.
 */
class ReplyCounter {
  #last = 0;
  #beforeLast = 0;

  /** Returns the number of replies that end in `chunk[0..size)`. */
  count(chunk, size) {
    let replies = 0;
    let index = chunk.indexOf(LF);
    while (index >= 0 && index < size) {
      const last = this.#byteBefore(chunk, index, 2);
      if (this.#byteBefore(chunk, index, 1) !== CR) throw this.#unexpected(chunk, index);
      if (last === LETTER_D) replies++;
      else if (last !== LETTER_X && last !== LF && !(last >= DIGIT_0 && last <= DIGIT_9)) {
        throw this.#unexpected(chunk, index);
      }
      index = chunk.indexOf(LF, index + 1);
    }
    this.#beforeLast = size >= 2 ? chunk[size - 2] : this.#last;
    this.#last = chunk[size - 1];
    return replies;
  }

  /** Returns the byte `distance` (1 or 2) places before `chunk[index]`, from the last chunk if needed. */
  #byteBefore(chunk, index, distance) {
    const position = index - distance;
    if (position >= 0) return chunk[position];
    return position === -1 ? this.#last : this.#beforeLast;
  }

  #unexpected(chunk, index) {
    const line = chunk
      .latin1Slice(Math.max(0, index - 100), index)
      .split('\n')
      .pop();
    return new Error(`unexpected reply: ${line.trim()}`);
  }
}

/**
 * Opens a connection whose received bytes go to `onRead(size, chunk)`. The
 * socket reads into one buffer of its own, which `onRead` must not keep.
 */
function connect(options, onRead) {
  const socket = net.connect({
    port: options.port,
    host: options.host,
    noDelay: true,
    onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_SIZE), callback: onRead },
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Fills the key space so that gets hit. */
async function preload(options, requests) {
  const counter = new ReplyCounter();
  let replies = 0;
  let finish = null;
  const done = new Promise((resolve, reject) => {
    finish = { resolve, reject };
  });
  const socket = await connect(options, (size, chunk) => {
    try {
      replies += counter.count(chunk, size);
    } catch (error) {
      finish.reject(error);
    }
    if (replies === options.keys) finish.resolve();
  });
  socket.on('error', finish.reject);
  socket.write(Buffer.concat(requests.sets));
  await done;
  socket.destroy();
}

/**
 * Runs this thread's connections until the deadline. The number of replies
 * so far is kept in `counts[slot]`, where the main thread reads it.
 */
function runConnections({ options, count, deadline, counts, slot }) {
  const requests = buildRequests(options);
  let completed = 0;
  let cursor = Math.floor(Math.random() * options.keys);

  function nextRequest() {
    cursor = (cursor + KEY_STRIDE) % options.keys;
    const isSet = options.op === 'set' || (options.op === 'mixed' && cursor % 10 === 0);
    return isSet ? requests.sets[cursor] : requests.gets[cursor];
  }

  function batch() {
    if (options.pipeline === 1) return nextRequest();
    const parts = [];
    for (let i = 0; i < options.pipeline; i++) parts.push(nextRequest());
    return Buffer.concat(parts);
  }

  async function runConnection() {
    const counter = new ReplyCounter();
    let inFlight = options.pipeline;
    const socket = await connect(options, (size, chunk) => {
      const replies = counter.count(chunk, size);
      inFlight -= replies;
      completed += replies;
      Atomics.store(counts, slot, completed);
      if (Date.now() >= deadline) socket.destroy();
      else if (inFlight === 0) {
        inFlight = options.pipeline;
        socket.write(batch());
      }
    });
    const finished = new Promise((resolve, reject) => {
      socket.on('error', reject);
      socket.on('close', resolve);
    });
    socket.write(batch());
    return finished;
  }

  const connections = [];
  for (let i = 0; i < count; i++) connections.push(runConnection());
  return Promise.all(connections);
}

/** Returns a process's user plus system CPU time in seconds, from /proc/PID/stat. */
function processCpuSeconds(pid, ticksPerSecond) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat(5) are utime and stime; `fields` starts at field 3.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Takes the figures that the measured time starts and ends with. */
function sample(counts, serverPid, ticksPerSecond) {
  const usage = process.cpuUsage();
  return {
    time: performance.now(),
    replies: counts.reduce((sum, value) => sum + value, 0),
    clientCpu: (usage.user + usage.system) / 1e6,
    serverCpu: serverPid > 0 ? processCpuSeconds(serverPid, ticksPerSecond) : 0,
  };
}

function startWorkers(options, deadline, counts) {
  const threads = counts.length;
  const runs = [];
  for (let t = 0; t < threads; t++) {
    const count =
      Math.floor(options.connections / threads) + (t < options.connections % threads ? 1 : 0);
    const data = { options, count, deadline, counts, slot: t };
    runs.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: data });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    );
  }
  return Promise.all(runs);
}

function report(options, threads, first, last) {
  const requests = last.replies - first.replies;
  const seconds = (last.time - first.time) / 1000;
  const perRequest = (cpu) => ((cpu * 1e6) / requests).toFixed(2);
  let line =
    `${options.op} port=${options.port} connections=${options.connections} ` +
    `pipeline=${options.pipeline} multiget=${options.multiget} threads=${threads}: ` +
    `${Math.round(requests / seconds)} requests/s, ` +
    `client ${perRequest(last.clientCpu - first.clientCpu)} us CPU/request`;
  if (options['server-pid'] > 0) {
    line += `, server ${perRequest(last.serverCpu - first.serverCpu)} us CPU/request`;
  }
  process.stdout.write(`${line}\n`);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const watchdog = setTimeout(
    () => {
      const limit = options.warmup + options.seconds + GRACE_SECONDS;
      process.stderr.write(`memcache-load: timed out after ${limit} s waiting for replies\n`);
      process.exit(1);
    },
    (options.warmup + options.seconds + GRACE_SECONDS) * 1000,
  );
  watchdog.unref();
  const serverPid = options['server-pid'];
  const ticksPerSecond = serverPid > 0 ? Number(execFileSync('getconf', ['CLK_TCK'])) : 100;
  await preload(options, buildRequests(options));
  const threads = Math.max(1, options.threads);
  const counts = new Int32Array(new SharedArrayBuffer(4 * threads));
  const warmupEnd = Date.now() + options.warmup * 1000;
  const deadline = warmupEnd + options.seconds * 1000;
  const samples = [];
  const take = () => samples.push(sample(counts, serverPid, ticksPerSecond));
  setTimeout(take, warmupEnd - Date.now());
  setTimeout(take, deadline - Date.now());
  await startWorkers(options, deadline, counts);
  if (samples.length < 2) take();
  report(options, threads, samples[0], samples[1]);
}

if (isMainThread) {
  main().catch((error) => {
    process.stderr.write(`memcache-load: ${error.message}\n`);
    process.exit(1);
  });
} else {
  runConnections(workerData).then(() => parentPort.postMessage('done'));
}
