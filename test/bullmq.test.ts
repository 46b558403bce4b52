/**
 * BullMQ, a job queue built on Lua scripts, end to end against Damselfly:
 * jobs are added, processed by a Worker and completed; a failing job is
 * retried with backoff; a delayed job runs after its delay. BullMQ's
 * scripts write its event stream (XADD with MAXLEN ~, XTRIM), and
 * QueueEvents reads it with a blocking XREAD.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import type { ServerProcess } from './support/server-process';
import { stopAllServers } from './support/server-process';
import { startDamselfly } from './support/servers';

let damselfly: ServerProcess;

before(async () => {
  damselfly = await startDamselfly();
});

after(stopAllServers);

/** BullMQ opens its own ioredis connections, which must retry forever. */
function connection(): { host: string; port: number; maxRetriesPerRequest: null } {
  return { host: '127.0.0.1', port: damselfly.port, maxRetriesPerRequest: null };
}

/** Resolves with the job once `worker` completes `count` jobs, or rejects after `timeoutMs`. */
function completions(worker: Worker, count: number, timeoutMs: number): Promise<Job[]> {
  return new Promise((resolve, reject) => {
    const done: Job[] = [];
    const timer = setTimeout(
      () => reject(new Error(`only ${done.length} of ${count} jobs completed in ${timeoutMs} ms`)),
      timeoutMs,
    );
    worker.on('completed', (job) => {
      done.push(job);
      if (done.length < count) return;
      clearTimeout(timer);
      resolve(done);
    });
  });
}

function newQueue(name: string): Queue {
  return new Queue(name, { connection: connection() });
}

function newWorker(name: string, processor: (job: Job) => Promise<unknown>): Worker {
  return new Worker(name, processor, { connection: connection() });
}

describe('BullMQ on Damselfly', () => {
  test('jobs run and complete', async () => {
    const queue = newQueue('basic');
    const worker = newWorker('basic', async (job) => ({ doubled: job.data.value * 2 }));
    const done = completions(worker, 3, 10_000);
    await queue.addBulk([1, 2, 3].map((value) => ({ name: 'double', data: { value } })));
    const jobs = await done;
    const results = jobs.map((job) => job.returnvalue.doubled).sort();
    assert.deepEqual(results, [2, 4, 6]);
    assert.equal(await queue.getCompletedCount(), 3);
    assert.equal(await queue.getWaitingCount(), 0);
    await worker.close();
    await queue.close();
  });

  test('failed job retries with backoff', async () => {
    const queue = newQueue('retry');
    let attempts = 0;
    const worker = newWorker('retry', async () => {
      attempts++;
      if (attempts < 3) throw new Error(`attempt ${attempts} fails`);
      return 'third time lucky';
    });
    const failures: string[] = [];
    worker.on('failed', (_job, error) => failures.push(error.message));
    const done = completions(worker, 1, 10_000);
    const started = Date.now();
    await queue.add('flaky', {}, { attempts: 3, backoff: { type: 'fixed', delay: 200 } });
    const [job] = await done;
    assert.equal(job.returnvalue, 'third time lucky');
    assert.equal(job.attemptsMade, 3);
    assert.deepEqual(failures, ['attempt 1 fails', 'attempt 2 fails']);
    assert.ok(Date.now() - started >= 400, 'two backoffs of 200 ms passed');
    await worker.close();
    await queue.close();
  });

  test('job that keeps failing ends failed', async () => {
    const queue = newQueue('doomed');
    const worker = newWorker('doomed', async () => {
      throw new Error('always fails');
    });
    const failed = new Promise<Job>((resolve) => {
      worker.on('failed', (job) => {
        if (job !== undefined && job.attemptsMade >= 2) resolve(job);
      });
    });
    await queue.add('doomed', {}, { attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    const job = await failed;
    assert.equal(job.failedReason, 'always fails');
    assert.equal(await queue.getFailedCount(), 1);
    await worker.close();
    await queue.close();
  });

  test('delayed job runs after its delay', async () => {
    const queue = newQueue('delayed');
    const worker = newWorker('delayed', async (job) => job.data.label);
    const done = completions(worker, 1, 10_000);
    const added = Date.now();
    await queue.add('later', { label: 'on time' }, { delay: 500 });
    assert.equal(await queue.getDelayedCount(), 1);
    const [job] = await done;
    assert.equal(job.returnvalue, 'on time');
    assert.ok((job.processedOn ?? 0) - added >= 500, 'processed after the delay');
    await worker.close();
    await queue.close();
  });

  test('queue events report progress and completion', async () => {
    const queue = newQueue('evented');
    const events = new QueueEvents('evented', { connection: connection() });
    await events.waitUntilReady();
    const seen: string[] = [];
    const completed = new Promise<string>((resolve) => {
      events.on('completed', ({ jobId, returnvalue }) => {
        seen.push(`completed ${jobId}`);
        resolve(String(returnvalue));
      });
    });
    events.on('progress', ({ jobId, data }) => seen.push(`progress ${jobId} ${String(data)}`));
    const worker = newWorker('evented', async (job) => {
      await job.updateProgress(50);
      return 'finished';
    });
    const job = await queue.add('report', {});
    assert.equal(await completed, 'finished');
    assert.deepEqual(seen, [`progress ${job.id} 50`, `completed ${job.id}`]);
    await worker.close();
    await events.close();
    await queue.close();
  });

  test('event stream stays trimmed', async () => {
    const queue = new Queue('trimmed', {
      connection: connection(),
      streams: { events: { maxLen: 20 } },
    });
    await queue.addBulk(Array.from({ length: 200 }, (_, i) => ({ name: 'n', data: { i } })));
    const client = await queue.client;
    const length = await client.xlen('bull:trimmed:events');
    assert.ok(length >= 20, `event stream has ${length} entries, fewer than maxLen`);
    assert.ok(length < 200, `event stream has ${length} entries, so it was not trimmed`);
    await queue.close();
  });
});
