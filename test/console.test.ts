/**
 * The live console in headless Chromium (Debian's chromium package, driven
 * by playwright-core): the page loads behind basic authentication, its four
 * charts draw and keep redrawing as /api/stats changes, and the slow log
 * table fills. Skipped when chromium is not installed, unless
 * DAMSELFLY_REQUIRE_REFERENCE=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';
import { chromium, type Browser } from 'playwright-core';

import {
  findExecutable,
  findFreePort,
  REQUIRE_REFERENCE_ENV,
  sleep,
  startDamselfly,
  stopAllServers,
} from './support/servers';

const CHROMIUM = findExecutable('chromium');
const PASSWORD = 'console-secret';
const CHARTS = ['ops-chart', 'latency-chart', 'memory-chart', 'clients-chart'];

function skipReason(): string | undefined {
  if (CHROMIUM !== null || process.env[REQUIRE_REFERENCE_ENV] === '1') return undefined;
  return 'chromium is not installed (apt-get install chromium)';
}

describe('console in headless Chromium', { skip: skipReason() }, () => {
  let browser: Browser;
  let client: Redis;
  let metricsPort: number;

  before(async () => {
    assert.ok(CHROMIUM, `chromium is not installed, and ${REQUIRE_REFERENCE_ENV}=1 requires it`);
    metricsPort = await findFreePort();
    const server = await startDamselfly({
      args: ['--requirepass', PASSWORD, '--metrics-port', String(metricsPort)],
    });
    client = new Redis(server.port, { password: PASSWORD });
    // launch() gives Chromium a new empty --user-data-dir of its own; it refuses one passed in.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
    client?.disconnect();
    await stopAllServers();
  });

  test('charts render and update, and the slow log fills', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: 'default', password: PASSWORD },
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await client.config('SET', 'slowlog-log-slower-than', '0');
    const response = await page.goto(`http://127.0.0.1:${metricsPort}/`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'Damselfly console');

    // Browser-side code is passed as text: the tests compile without the DOM library.
    const drawsOf = async (): Promise<number[]> =>
      (await page.evaluate(
        `${JSON.stringify(CHARTS)}.map((id) => Number(document.getElementById(id).dataset.draws || 0))`,
      )) as number[];
    await page.waitForFunction("document.getElementById('ops-chart').dataset.draws === '2'");
    const first = await drawsOf();
    for (let i = 0; i < 200; i++) await client.set(`key:${i}`, 'value');
    await sleep(2200);
    const later = await drawsOf();
    CHARTS.forEach((id, index) => assert.ok(later[index] > first[index], `${id} redraws`));

    const painted = await page.evaluate(`(() => {
      const canvas = document.getElementById('ops-chart');
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      return pixels.data.some((channel, index) => index % 4 === 3 && channel > 0);
    })()`);
    assert.ok(painted, 'the operations chart has drawn pixels');
    const opsMax = Number(await page.evaluate("document.getElementById('ops-chart').dataset.max"));
    assert.ok(opsMax >= 100, `the operations chart shows the writes: ${opsMax} per second`);
    assert.match((await page.textContent('#ops-value')) ?? '', /^[\d,.]+$/);
    const rows = await page.locator('#slowlog-rows tr').count();
    assert.ok(rows > 0, 'the slow log table has rows');
    assert.match((await page.textContent('#status')) ?? '', /^live/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('the page asks for credentials', async () => {
    const context = await browser.newContext();
    // Navigating to a 401 fails in headless Chromium, so the browser's request API reads it.
    const response = await context.request.get(`http://127.0.0.1:${metricsPort}/`);
    assert.equal(response.status(), 401);
    await context.close();
  });
});
