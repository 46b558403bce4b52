#!/usr/bin/env bash
# Runs every check: a clean install of the locked dependencies, lint
# (ESLint and Prettier), the TypeScript build and all tests.
# Tests that compare against redis-server or memcached are skipped when
# those are not installed (apt-get install redis-server memcached).
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund
npm run lint
npm test
