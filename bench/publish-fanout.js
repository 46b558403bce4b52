#!/usr/bin/env node
/**
 * Pub/sub fan-out load: `--subscribers` connections subscribe to one channel,
 * `--publishers` connections each keep `--pipeline` PUBLISH requests in
 * flight for `--seconds`. It prints messages published and messages delivered
 * per second. Works against redis-server and Damselfly alike.
 *
 *   node bench/publish-fanout.js --port 6379 --subscribers 100 --seconds 10
 *
 * Every message has the same size, so deliveries are counted from the bytes
 * the subscribers receive rather than by parsing each one.
 */
'use strict';

const net = require('node:net');

const DEFAULTS = {
  host: '127.0.0.1',
  port: 6379,
  subscribers: 100,
  publishers: 4,
  pipeline: 16,
  'payload-size': 16,
  seconds: 10,
};

function parseOptions(argv) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!(name in DEFAULTS) || i + 1 >= argv.length) {
      throw new Error(`unknown or incomplete option ${argv[i]}; see the header of this file`);
    }
    options[name] = typeof DEFAULTS[name] === 'number' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return options;
}

function bulk(text) {
  return `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
}

function connect(options) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(options.port, options.host, () => resolve(socket));
    socket.once('error', reject);
    socket.setNoDelay(true);
  });
}

/** Subscribes one connection and resolves once the confirmation has arrived. */
async function subscribe(options, channel, counter) {
  const socket = await connect(options);
  const confirmation = `*3\r\n${bulk('subscribe')}${bulk(channel)}:1\r\n`.length;
  let skipped = 0;
  await new Promise((resolve) => {
    socket.on('data', (chunk) => {
      if (skipped < confirmation) {
        const used = Math.min(confirmation - skipped, chunk.length);
        skipped += used;
        counter.bytes += chunk.length - used;
        if (skipped === confirmation) resolve();
        return;
      }
      counter.bytes += chunk.length;
    });
    socket.write(`*2\r\n${bulk('SUBSCRIBE')}${bulk(channel)}`);
  });
  return socket;
}

/** Keeps `pipeline` PUBLISH requests in flight until `state.running` turns false. */
async function publish(options, request, state) {
  const socket = await connect(options);
  let inFlight = 0;
  const send = () => {
    const batch = state.running ? options.pipeline - inFlight : 0;
    if (batch > 0) socket.write(request.repeat(batch));
    inFlight += batch;
  };
  socket.on('data', (chunk) => {
    let replies = 0;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) replies++;
    inFlight -= replies;
    state.published += replies;
    send();
  });
  send();
  return socket;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const channel = 'fanout';
  const payload = 'x'.repeat(options['payload-size']);
  const request = `*3\r\n${bulk('PUBLISH')}${bulk(channel)}${bulk(payload)}`;
  const message = `*3\r\n${bulk('message')}${bulk(channel)}${bulk(payload)}`.length;
  const counter = { bytes: 0 };
  const sockets = [];
  for (let i = 0; i < options.subscribers; i++) {
    sockets.push(await subscribe(options, channel, counter));
  }
  const state = { running: true, published: 0 };
  const started = process.hrtime.bigint();
  for (let i = 0; i < options.publishers; i++) sockets.push(await publish(options, request, state));
  await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000));
  state.running = false;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const delivered = Math.floor(counter.bytes / message);
  console.log(
    JSON.stringify({
      published_per_sec: Math.round(state.published / seconds),
      delivered_per_sec: Math.round(delivered / seconds),
      subscribers: options.subscribers,
    }),
  );
  for (const socket of sockets) socket.destroy();
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
