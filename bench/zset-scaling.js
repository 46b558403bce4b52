#!/usr/bin/env node
// Measures how sorted set commands scale: time per ZADD, ZRANGE (10 members
// from a random rank) and ZRANK at 10^4, 10^5 and 10^6 members, through
// ioredis with pipelining, on Damselfly and on redis-server when it is
// installed. Also reports resident memory (RSS) per member of a
// 1,000,000-member sorted set. Run after `npm run build`:
//
//   node bench/zset-scaling.js [--sizes 10000,100000,1000000] [--ops 50000]
//
// Both servers run on 127.0.0.1 with persistence off. Times are wall-clock
// averages over pipelined batches, so they include protocol and client cost;
// what matters is how they change with the set's size.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const Redis = require('ioredis');

const KEY = 'bench:zset';
const LOAD_BATCH = 1000;
const PIPELINE_DEPTH = 500;

function parseOptions(argv) {
  const options = { sizes: [10_000, 100_000, 1_000_000], ops: 50_000 };
  for (let i = 2; i < argv.length; i++) {
    if (argv[i] === '--sizes') options.sizes = argv[++i].split(',').map(Number);
    else if (argv[i] === '--ops') options.ops = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]}; see the header of bench/zset-scaling.js`);
  }
  return options;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function onPath(name) {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => fs.existsSync(path.join(dir, name)));
}

/** Starts a server process and resolves once it replies to PING. */
async function startServer(kind) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `zset-bench-${kind}-`));
  const child =
    kind === 'damselfly'
      ? spawn(
          process.execPath,
          [
            path.join(__dirname, '..', 'dist', 'src', 'main.js'),
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--dir',
            dir,
          ],
          { stdio: 'ignore' },
        )
      : spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dir,
          ],
          { stdio: 'ignore' },
        );
  await waitForPort(port, kind);
  const client = new Redis({ port, host: '127.0.0.1' });
  await client.ping();
  return { kind, child, client, dir };
}

/** Resolves once `port` accepts TCP connections; fails after 15 seconds. */
async function waitForPort(port, kind) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${kind} did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function rssBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) * 1024;
}

/** Runs `count` commands built by `make(i)` in pipelined batches; returns µs per command. */
async function timeCommands(client, count, make) {
  const started = process.hrtime.bigint();
  for (let done = 0; done < count; done += PIPELINE_DEPTH) {
    const pipeline = client.pipeline();
    for (let i = done; i < Math.min(count, done + PIPELINE_DEPTH); i++) make(pipeline, i);
    const results = await pipeline.exec();
    const failed = results.find(([error]) => error !== null);
    if (failed) throw failed[0];
  }
  return Number(process.hrtime.bigint() - started) / 1000 / count;
}

/** Adds members member:<from> .. member:<to - 1> with random scores. */
async function fill(client, from, to) {
  for (let start = from; start < to; start += LOAD_BATCH * 10) {
    const pipeline = client.pipeline();
    for (let batch = start; batch < Math.min(to, start + LOAD_BATCH * 10); batch += LOAD_BATCH) {
      const args = [];
      for (let i = batch; i < Math.min(to, batch + LOAD_BATCH); i++) {
        args.push(Math.random() * 1e6, `member:${i}`);
      }
      pipeline.zadd(KEY, ...args);
    }
    await pipeline.exec();
  }
}

function randomInt(limit) {
  return Math.floor(Math.random() * limit);
}

/** Measures one server at each size; returns rows and the RSS figures at the largest size. */
async function measure(server, options) {
  const { client } = server;
  await client.flushall();
  const baseline = rssBytes(server.child.pid);
  const rows = [];
  let size = 0;
  let memory = null;
  for (const target of options.sizes) {
    await fill(client, size, target);
    size = target;
    if (target === Math.max(...options.sizes)) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rss = rssBytes(server.child.pid);
      memory = { members: await client.zcard(KEY), rss, baseline };
    }
    const zadd = await timeCommands(client, options.ops, (pipeline, i) =>
      pipeline.zadd(KEY, Math.random() * 1e6, `extra:${target}:${i}`),
    );
    const current = await client.zcard(KEY);
    const zrange = await timeCommands(client, options.ops, (pipeline) => {
      const start = randomInt(current - 10);
      pipeline.zrange(KEY, start, start + 9, 'WITHSCORES');
    });
    const zrank = await timeCommands(client, options.ops, (pipeline) =>
      pipeline.zrank(KEY, `member:${randomInt(size)}`),
    );
    rows.push({ size: target, zadd, zrange, zrank });
  }
  return { rows, memory };
}

function printResults(results) {
  console.log('Time per command (µs, pipelined through ioredis, lower is better)');
  console.log('server       members     ZADD   ZRANGE 10    ZRANK');
  for (const { kind, rows } of results) {
    for (const row of rows) {
      const times =
        `${row.zadd.toFixed(2).padStart(8)} ${row.zrange.toFixed(2).padStart(11)}` +
        ` ${row.zrank.toFixed(2).padStart(8)}`;
      console.log(`${kind.padEnd(10)} ${String(row.size).padStart(9)} ${times}`);
    }
  }
  console.log('\nResident memory at the largest size');
  console.log('server       members   RSS (MB)  empty RSS (MB)  bytes/member  added bytes/member');
  for (const { kind, memory } of results) {
    if (memory === null) continue;
    const { members, rss, baseline } = memory;
    const megabytes = `${(rss / 1e6).toFixed(1).padStart(10)} ${(baseline / 1e6).toFixed(1).padStart(15)}`;
    const perMember =
      `${(rss / members).toFixed(1).padStart(13)}` +
      ` ${((rss - baseline) / members).toFixed(1).padStart(19)}`;
    console.log(`${kind.padEnd(10)} ${String(members).padStart(9)} ${megabytes} ${perMember}`);
  }
}

async function main() {
  const options = parseOptions(process.argv);
  const kinds = ['damselfly', ...(onPath('redis-server') ? ['redis'] : [])];
  const results = [];
  for (const kind of kinds) {
    const server = await startServer(kind);
    try {
      results.push({ kind, ...(await measure(server, options)) });
    } finally {
      server.client.disconnect();
      server.child.kill('SIGTERM');
      fs.rmSync(server.dir, { recursive: true, force: true });
    }
  }
  printResults(results);
}

main().catch((error) => {
  console.error(`zset-scaling failed: ${error.stack ?? error}`);
  process.exit(1);
});
