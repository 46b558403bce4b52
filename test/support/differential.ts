/**
 * Differential tests: the same steps run against Damselfly and the reference
 * redis-server, each on a fresh connection after FLUSHALL, and the raw reply
 * bytes are compared step by step.
 */

import assert from 'node:assert/strict';

import { formatBytes, toBuffer } from './bytes';
import { RawClient, encodeCommand } from './raw-client';

export type Command = ReadonlyArray<string | Buffer>;

/**
 * A rewrite applied to both outputs of a step before they are compared: a
 * [pattern, replacement] pair for String.replace (use the g flag to replace
 * every match) or a function. Outputs are byte strings (latin1).
 */
export type Normalizer = readonly [RegExp, string] | ((text: string) => string);

export interface StepOptions {
  /**
   * How much output belongs to the step: a number of RESP replies, or
   * 'quiet' for every byte until the connection is silent for `quietMs` or
   * closes. Commands default to 1 reply and raw bytes to 'quiet'.
   */
  read?: number | 'quiet';
  /** Read the step's output but do not compare it, for replies that legitimately differ. */
  ignore?: boolean;
  normalize?: Normalizer | Normalizer[];
}

/** A command whose string arguments are sent as UTF-8. */
export interface CommandStep extends StepOptions {
  command: Command;
}

/** Bytes sent unchanged. A string is a byte string (latin1). */
export interface RawStep extends StepOptions {
  raw: Buffer | string;
}

/** A command as an argument array, raw bytes (Buffer or byte string), or either with options. */
export type Step = Command | Buffer | string | CommandStep | RawStep;

export interface Endpoint {
  port: number;
  host?: string;
}

export interface RunOptions {
  /** Commands sent on every new connection before FLUSHALL, such as AUTH. Not compared. */
  prelude?: Command[];
  /** Send FLUSHALL before the first step. Default true. */
  flush?: boolean;
  /** Silence in ms that ends a 'quiet' read. Default 100. */
  quietMs?: number;
  /** Maximum time in ms to wait for a step's replies. Default 5000. */
  timeoutMs?: number;
  /** Normalizers applied to every step, before the step's own. */
  normalize?: Normalizer[];
  /** Names of the two servers in messages. Default ['damselfly', 'redis-server']. */
  labels?: readonly [string, string];
}

/** What one step produced on one server. */
export interface StepOutput {
  bytes: Buffer;
  /**
   * The connection closed during the step, and the next step reconnects. A
   * 'quiet' read always notices a close. A read of N replies notices it only
   * when the close cuts the replies short.
   */
  closed: boolean;
  /** Why the step's replies did not arrive in full (timeout or malformed RESP). */
  failure?: string;
}

export interface DifferentialResult {
  steps: NormalizedStep[];
  damselfly: StepOutput[];
  redis: StepOutput[];
  options: RunOptions;
}

interface NormalizedStep extends StepOptions {
  label: string;
  bytes: Buffer;
  read: number | 'quiet';
}

const DEFAULT_LABELS = ['damselfly', 'redis-server'] as const;
const MAX_REPORTED_MISMATCHES = 10;

/** Runs `steps` on a fresh connection to one server and returns each step's raw output. */
export async function runSteps(
  endpoint: Endpoint,
  steps: readonly Step[],
  options: RunOptions = {},
): Promise<StepOutput[]> {
  const normalized = steps.map(normalizeStep);
  const outputs: StepOutput[] = [];
  let client = await openConnection(endpoint, options, options.flush ?? true);

  try {
    for (const step of normalized) {
      if (client.closed) client = await openConnection(endpoint, options, false);

      const output = await runStep(client, step, options);
      outputs.push(output);
      if (output.failure !== undefined) client.destroy();
    }
  } finally {
    client.destroy();
  }

  return outputs;
}

/** Runs `steps` on Damselfly and redis-server at the same time and returns both outputs. */
export async function runDifferential(
  damselfly: Endpoint,
  redis: Endpoint,
  steps: readonly Step[],
  options: RunOptions = {},
): Promise<DifferentialResult> {
  const [damselflyOutputs, redisOutputs] = await Promise.all([
    runSteps(damselfly, steps, options),
    runSteps(redis, steps, options),
  ]);

  return {
    steps: steps.map(normalizeStep),
    damselfly: damselflyOutputs,
    redis: redisOutputs,
    options,
  };
}

/** Returns a readable description of each step whose outputs differ, or [] when all match. */
export function findMismatches(result: DifferentialResult): string[] {
  const [leftName, rightName] = result.options.labels ?? DEFAULT_LABELS;
  const width = Math.max(leftName.length, rightName.length) + 1;
  const mismatches: string[] = [];

  result.steps.forEach((step, index) => {
    if (step.ignore) return;

    const normalizers = [...(result.options.normalize ?? []), ...toList(step.normalize)];
    const left = describeOutput(result.damselfly[index], normalizers);
    const right = describeOutput(result.redis[index], normalizers);
    if (left === right) return;

    mismatches.push(
      [
        `step ${index + 1}: ${step.label}`,
        `  ${`${leftName}:`.padEnd(width)} ${left}`,
        `  ${`${rightName}:`.padEnd(width)} ${right}`,
      ].join('\n'),
    );
  });

  return mismatches;
}

/** Throws an AssertionError listing every step whose outputs differ. */
export function assertSameReplies(result: DifferentialResult): void {
  const mismatches = findMismatches(result);
  if (mismatches.length === 0) return;

  const [leftName, rightName] = result.options.labels ?? DEFAULT_LABELS;
  const reported = mismatches.slice(0, MAX_REPORTED_MISMATCHES);
  const hidden = mismatches.length - reported.length;
  const lines = [
    `${leftName} and ${rightName} differ at ${mismatches.length} of ${result.steps.length} steps:`,
    ...reported,
    ...(hidden > 0 ? [`... and ${hidden} more`] : []),
  ];

  assert.fail(lines.join('\n'));
}

/** Runs `steps` on both servers and asserts that every compared step matches. */
export async function assertDifferential(
  damselfly: Endpoint,
  redis: Endpoint,
  steps: readonly Step[],
  options: RunOptions = {},
): Promise<DifferentialResult> {
  const result = await runDifferential(damselfly, redis, steps, options);
  assertSameReplies(result);
  return result;
}

async function openConnection(
  endpoint: Endpoint,
  options: RunOptions,
  flush: boolean,
): Promise<RawClient> {
  const client = await RawClient.connect(endpoint.port, { host: endpoint.host });
  const setup = [...(options.prelude ?? []), ...(flush ? [['FLUSHALL']] : [])];

  for (const command of setup) {
    const reply = await client.call(command, options.timeoutMs);
    if (reply[0] === 0x2d) {
      client.destroy();
      throw new Error(`setup command ${formatCommand(command)} failed: ${formatBytes(reply)}`);
    }
  }

  return client;
}

async function runStep(
  client: RawClient,
  step: NormalizedStep,
  options: RunOptions,
): Promise<StepOutput> {
  const timeoutMs = options.timeoutMs ?? 5000;

  try {
    await client.send(step.bytes);
    if (step.read === 'quiet') {
      const bytes = await client.readUntilQuiet(options.quietMs ?? 100, timeoutMs);
      return { bytes, closed: client.closed };
    }

    const replies = await client.readReplies(step.read, timeoutMs);
    return { bytes: Buffer.concat(replies), closed: false };
  } catch (error) {
    const bytes = Buffer.from(client.buffered);
    if (client.closed) return { bytes, closed: true };
    return { bytes, closed: false, failure: (error as Error).message };
  }
}

function normalizeStep(step: Step): NormalizedStep {
  if (typeof step === 'string' || Buffer.isBuffer(step)) {
    return normalizeStep({ raw: step });
  }

  if (isCommandArray(step)) return normalizeStep({ command: step });

  if ('command' in step) {
    const bytes = encodeCommand(step.command);
    return { ...step, label: formatCommand(step.command), bytes, read: step.read ?? 1 };
  }

  const bytes = toBuffer(step.raw);
  return { ...step, label: `raw ${formatBytes(bytes, 200)}`, bytes, read: step.read ?? 'quiet' };
}

function isCommandArray(step: Step): step is Command {
  return Array.isArray(step);
}

function describeOutput(output: StepOutput, normalizers: Normalizer[]): string {
  let text = output.bytes.toString('latin1');
  for (const normalizer of normalizers) {
    text = typeof normalizer === 'function' ? normalizer(text) : text.replace(...normalizer);
  }

  const notes = [
    ...(output.closed ? ['[connection closed]'] : []),
    ...(output.failure !== undefined ? [`[incomplete: ${output.failure.split(';')[0]}]`] : []),
  ];
  return [formatBytes(text), ...notes].join(' ');
}

function formatCommand(command: Command): string {
  return command
    .map((arg) => {
      const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
      const text = bytes.toString('latin1');
      return /^[\x21-\x7e]+$/.test(text) && !text.includes('"') ? text : formatBytes(bytes);
    })
    .join(' ');
}

function toList(normalize: StepOptions['normalize']): Normalizer[] {
  if (normalize === undefined) return [];
  if (isSingleNormalizer(normalize)) return [normalize];
  return normalize;
}

/** Returns whether `value` is one normalizer, not a list. Only a pair starts with a RegExp. */
function isSingleNormalizer(value: Normalizer | Normalizer[]): value is Normalizer {
  return typeof value === 'function' || value[0] instanceof RegExp;
}
