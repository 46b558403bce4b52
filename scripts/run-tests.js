#!/usr/bin/env node
// Runs every compiled test file (dist/test/**/*.test.js) with node's test
// runner and exits with its exit code. Node 20's --test needs explicit file
// paths, so this script finds them.
//
// Usage: node scripts/run-tests.js [--node-flag ...] [path-filter ...]
// Arguments starting with "--" go to node (for example --test-name-pattern=SET
// or --test-reporter=spec); any other argument keeps only the test files whose
// path contains it. Run `npm run build` first; `npm test` does both.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const distTests = path.join(root, 'dist', 'test');

// Two files at a time fits a 2-core machine: each file may start its own
// Damselfly and redis-server processes.
const CONCURRENCY = 2;
// A hung test fails after this long instead of holding up the whole run.
const TEST_TIMEOUT_MS = 120_000;

function findTestFiles(dir) {
  if (!fs.existsSync(dir)) return [];

  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const fullPath = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...findTestFiles(fullPath));
    else if (entry.name.endsWith('.test.js')) files.push(fullPath);
  }
  return files;
}

// dist/ keeps the output of test sources that were deleted or renamed, so
// run only compiled files whose test/**/*.test.ts source still exists.
function hasSource(compiledPath) {
  const relative = path.relative(distTests, compiledPath).replace(/\.js$/, '.ts');
  return fs.existsSync(path.join(root, 'test', relative));
}

function main() {
  const args = process.argv.slice(2);
  const nodeFlags = args.filter((arg) => arg.startsWith('--'));
  const filters = args.filter((arg) => !arg.startsWith('--'));

  const files = findTestFiles(distTests)
    .filter(hasSource)
    .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
    .sort();

  if (files.length === 0) {
    const hint = filters.length > 0 ? ` matching ${filters.join(', ')}` : '';
    console.error(`No test files${hint} found under ${distTests}; run "npm run build" first.`);
    return 1;
  }

  const result = spawnSync(
    process.execPath,
    [
      '--test',
      `--test-concurrency=${CONCURRENCY}`,
      `--test-timeout=${TEST_TIMEOUT_MS}`,
      ...nodeFlags,
      ...files,
    ],
    { stdio: 'inherit', cwd: root },
  );

  if (result.error) {
    console.error(`Failed to start the test runner: ${result.error.message}`);
    return 1;
  }
  if (result.signal) {
    console.error(`The test runner was killed by ${result.signal}.`);
    return 1;
  }
  return result.status ?? 1;
}

process.exitCode = main();
