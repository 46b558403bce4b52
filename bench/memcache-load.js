#!/usr/bin/env node
/**
 * A load driver for the Memcached text protocol: many connections, each
 * keeping `--pipeline` requests in flight, for a fixed time. It prints the
 * requests completed per second. Works against memcached and Damselfly's
 * memcached port alike, so their figures can be compared.
 *
 *   node bench/memcache-load.js --port 11211 --connections 50 --op get --seconds 10
 *
 * Options: --host (127.0.0.1 only makes sense), --port, --connections,
 * --pipeline (requests in flight per connection), --op (get, set or mixed:
 * 9 gets to 1 set), --keys (key space), --value-size (bytes), --seconds,
 * --threads (worker threads sharing the connections).
 */
'use strict';

const net = require('node:net');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const DEFAULTS = {
  host: '127.0.0.1',
  port: 11211,
  connections: 50,
  pipeline: 1,
  op: 'get',
  keys: 10000,
  'value-size': 32,
  seconds: 10,
  threads: 1,
};

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
  return options;
}

/** Fills the key space so that gets hit. */
async function preload(options) {
  const socket = net.connect(options.port, options.host);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const value = 'x'.repeat(options['value-size']);
  let replies = 0;
  let text = '';
  const done = new Promise((resolve) => {
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      let index;
      while ((index = text.indexOf('\r\n')) >= 0) {
        text = text.slice(index + 2);
        replies++;
      }
      if (replies === options.keys) resolve();
    });
  });
  let batch = '';
  for (let i = 0; i < options.keys; i++) {
    batch += `set key:${i} 0 0 ${value.length}\r\n${value}\r\n`;
    if (batch.length > 65536) {
      socket.write(batch);
      batch = '';
    }
  }
  socket.write(batch);
  await done;
  socket.destroy();
}

/** Runs this thread's connections until the deadline; resolves with the replies counted. */
function runConnections(options, count, deadline) {
  const value = 'x'.repeat(options['value-size']);
  const setTail = ` 0 0 ${value.length}\r\n${value}\r\n`;
  let completed = 0;
  let counter = Math.floor(Math.random() * options.keys);

  function nextRequest() {
    counter = (counter + 7919) % options.keys;
    const isSet = options.op === 'set' || (options.op === 'mixed' && counter % 10 === 0);
    return isSet ? `set key:${counter}${setTail}` : `get key:${counter}\r\n`;
  }

  function startConnection() {
    return new Promise((resolve, reject) => {
      const socket = net.connect(options.port, options.host);
      socket.setNoDelay(true);
      let pending = '';
      let inFlight = 0;
      const send = () => {
        let batch = '';
        while (inFlight < options.pipeline) {
          batch += nextRequest();
          inFlight++;
        }
        socket.write(batch);
      };
      socket.once('connect', send);
      socket.on('error', reject);
      socket.on('close', resolve);
      socket.on('data', (chunk) => {
        pending += chunk.toString('latin1');
        let index;
        // Each reply ends with END (get) or STORED (set); values are 'x' only.
        while ((index = pending.search(/END\r\n|STORED\r\n/)) >= 0) {
          const end = pending.startsWith('E', index) ? index + 5 : index + 8;
          pending = pending.slice(end);
          inFlight--;
          completed++;
        }
        if (Date.now() >= deadline) socket.destroy();
        else if (inFlight === 0) send();
      });
    });
  }

  const sockets = [];
  for (let i = 0; i < count; i++) sockets.push(startConnection());
  return Promise.all(sockets).then(() => completed);
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  await preload(options);
  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const threads = Math.max(1, options.threads);
  const runs = [];
  for (let t = 0; t < threads; t++) {
    const count =
      Math.floor(options.connections / threads) + (t < options.connections % threads ? 1 : 0);
    runs.push(
      new Promise((resolve, reject) => {
        const worker = new Worker(__filename, { workerData: { options, count, deadline } });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    );
  }
  const completed = (await Promise.all(runs)).reduce((sum, value) => sum + value, 0);
  const elapsed = (Date.now() - started) / 1000;
  const rate = Math.round(completed / elapsed);
  process.stdout.write(
    `${options.op} port=${options.port} connections=${options.connections} ` +
      `pipeline=${options.pipeline} threads=${threads}: ${rate} requests/s\n`,
  );
}

if (isMainThread) {
  main().catch((error) => {
    process.stderr.write(`memcache-load: ${error.message}\n`);
    process.exit(1);
  });
} else {
  runConnections(workerData.options, workerData.count, workerData.deadline).then((completed) => {
    parentPort.postMessage(completed);
  });
}
