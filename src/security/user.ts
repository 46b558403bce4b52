/**
 * ACL users and roles, and the rule grammar of ACL SETUSER: Redis 7.0's rules
 * plus Damselfly's `role:NAME`, `-role:NAME` and `ratelimit:RATE[/BURST]`.
 */
import { hashPassword } from './passwords';
import { describeSelector } from './describe';
import type { CommandIndex } from './command-index';
import {
  formatRateLimit,
  parseRateLimit,
  RateLimitSyntaxError,
  type RateLimit,
} from './rate-limit';
import { applySelectorText, RuleError, RULE_REASONS, Selector } from './selector';

const HASH_FORMAT = /^[0-9a-f]{64}$/;

export const USER_RULE_REASONS = {
  badHash:
    'The password hash must be exactly 64 characters and contain only lowercase hexadecimal ' +
    'characters',
  noSuchPassword: 'The password you are trying to remove from the user does not exist',
  noSuchRole: (name: string) => `No such role '${name}'`,
  roleRuleInRole: 'A role cannot hold passwords, flags, selectors or other roles',
} as const;

/** A named set of selector rules, and optionally a rate limit, that users can hold. */
export class Role {
  readonly name: string;
  readonly builtIn: boolean;
  selector: Selector;
  rateLimit: RateLimit | null = null;

  constructor(name: string, index: CommandIndex, builtIn = false) {
    this.name = name;
    this.builtIn = builtIn;
    this.selector = new Selector(index);
  }

  clone(): Role {
    const copy = new Role(this.name, this.selector.index, this.builtIn);
    copy.selector = this.selector.clone();
    copy.rateLimit = this.rateLimit;
    return copy;
  }

  /** Applies one rule: a selector rule, `ratelimit:...`, or `reset`. */
  apply(rule: string): void {
    const lower = rule.toLowerCase();
    if (lower === 'reset') {
      this.selector = new Selector(this.selector.index);
      this.rateLimit = null;
    } else if (lower.startsWith('ratelimit:')) {
      this.rateLimit = parseRateRule(rule);
    } else if (isUserOnlyRule(lower)) {
      throw new RuleError(USER_RULE_REASONS.roleRuleInRole);
    } else {
      this.selector.apply(rule);
    }
  }

  /** The rules that rebuild this role, as ACL ROLE LIST and ACL SAVE write them. */
  describe(): string {
    const rules = describeSelector(this.selector);
    return this.rateLimit === null
      ? rules
      : `${rules} ratelimit:${formatRateLimit(this.rateLimit)}`;
  }
}

function isUserOnlyRule(lower: string): boolean {
  return (
    ['on', 'off', 'nopass', 'resetpass', 'clearselectors'].includes(lower) ||
    lower.endsWith('sanitize-payload') ||
    /^[<>#!(]/.test(lower) ||
    lower.startsWith('role:') ||
    lower.startsWith('-role:')
  );
}

function parseRateRule(rule: string): RateLimit | null {
  try {
    return parseRateLimit(rule.slice('ratelimit:'.length));
  } catch (error) {
    if (error instanceof RateLimitSyntaxError) throw new RuleError(RULE_REASONS.syntax);
    throw error;
  }
}

/** Finds roles by name while rules are applied. */
export type RoleLookup = (name: string) => Role | undefined;

export class User {
  readonly name: string;
  enabled = false;
  nopass = false;
  /** SHA-256 hashes (hex) of the passwords, in the order they were added. */
  passwords: string[] = [];
  /** '', 'sanitize-payload' or 'skip-sanitize-payload', as ACL GETUSER shows it. */
  sanitize = '';
  root: Selector;
  selectors: Selector[] = [];
  roles: Role[] = [];
  rateLimit: RateLimit | null = null;
  /** ACL version for which `unrestricted` was computed (roles can change it). */
  checkedVersion = -1;
  /** Whether some selector allows every command, key and channel. */
  unrestricted = false;

  constructor(name: string, index: CommandIndex) {
    this.name = name;
    this.root = new Selector(index);
  }

  clone(name = this.name): User {
    const copy = new User(name, this.root.index);
    copy.enabled = this.enabled;
    copy.nopass = this.nopass;
    copy.passwords = [...this.passwords];
    copy.sanitize = this.sanitize;
    copy.root = this.root.clone();
    copy.selectors = this.selectors.map((selector) => selector.clone());
    copy.roles = [...this.roles];
    copy.rateLimit = this.rateLimit;
    return copy;
  }

  /** Every selector that may allow a request: the user's own, then its roles'. */
  allSelectors(): Selector[] {
    return [this.root, ...this.selectors, ...this.roles.map((role) => role.selector)];
  }

  /** The rate limit in force: the user's own, else the strictest of its roles'. */
  effectiveRateLimit(): RateLimit | null {
    if (this.rateLimit !== null) return this.rateLimit;
    let strictest: RateLimit | null = null;
    for (const role of this.roles) {
      if (role.rateLimit !== null && (strictest === null || role.rateLimit.rate < strictest.rate)) {
        strictest = role.rateLimit;
      }
    }
    return strictest;
  }

  /** Applies one rule of ACL SETUSER; throws RuleError with Redis's reason text. */
  apply(rule: string, findRole: RoleLookup): void {
    if (this.#applyFlag(rule.toLowerCase())) return;
    if (this.#applyPassword(rule)) return;
    if (this.#applyExtension(rule, findRole)) return;
    if (rule.startsWith('(') && rule.endsWith(')')) {
      const selector = new Selector(this.root.index);
      applySelectorText(selector, rule.slice(1, -1));
      this.selectors.push(selector);
      return;
    }
    this.root.apply(rule);
  }

  #applyFlag(lower: string): boolean {
    switch (lower) {
      case 'on':
      case 'off':
        this.enabled = lower === 'on';
        return true;
      case 'nopass':
        this.nopass = true;
        this.passwords = [];
        return true;
      case 'resetpass':
        this.nopass = false;
        this.passwords = [];
        return true;
      case 'sanitize-payload':
      case 'skip-sanitize-payload':
        this.sanitize = lower;
        return true;
      case 'clearselectors':
        this.selectors = [];
        return true;
      case 'reset':
        this.#reset();
        return true;
      default:
        return false;
    }
  }

  #reset(): void {
    this.enabled = false;
    this.nopass = false;
    this.passwords = [];
    this.sanitize = 'sanitize-payload';
    this.root = new Selector(this.root.index);
    this.selectors = [];
    this.roles = [];
    this.rateLimit = null;
  }

  /** `>password`, `<password`, `#hash`, `!hash`. */
  #applyPassword(rule: string): boolean {
    const kind = rule[0];
    if (kind !== '>' && kind !== '<' && kind !== '#' && kind !== '!') return false;
    const text = rule.slice(1);
    const hash = kind === '>' || kind === '<' ? hashPassword(text) : text;
    if ((kind === '#' || kind === '!') && !HASH_FORMAT.test(hash)) {
      throw new RuleError(USER_RULE_REASONS.badHash);
    }
    if (kind === '>' || kind === '#') {
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
      return true;
    }
    const position = this.passwords.indexOf(hash);
    if (position < 0) throw new RuleError(USER_RULE_REASONS.noSuchPassword);
    this.passwords.splice(position, 1);
    return true;
  }

  /** Damselfly's rules: `role:NAME`, `-role:NAME`, `ratelimit:RATE[/BURST]`, `ratelimit:none`. */
  #applyExtension(rule: string, findRole: RoleLookup): boolean {
    const lower = rule.toLowerCase();
    if (lower.startsWith('ratelimit:')) {
      this.rateLimit = parseRateRule(rule);
      return true;
    }
    const removing = lower.startsWith('-role:');
    if (!removing && !lower.startsWith('role:')) return false;
    const name = rule.slice(removing ? 6 : 5);
    const role = findRole(name);
    if (role === undefined) throw new RuleError(USER_RULE_REASONS.noSuchRole(name));
    this.roles = this.roles.filter((held) => held.name !== role.name);
    if (!removing) this.roles.push(role);
    return true;
  }

  /** The flags ACL GETUSER lists. */
  flags(): string[] {
    const flags = [this.enabled ? 'on' : 'off'];
    if (this.nopass) flags.push('nopass');
    if (this.sanitize !== '') flags.push(this.sanitize);
    return flags;
  }

  /** The rules after `user NAME` in ACL LIST and ACL SAVE; they rebuild the user exactly. */
  describe(): string {
    const parts = [...this.flags(), ...this.passwords.map((hash) => `#${hash}`)];
    parts.push(describeSelector(this.root));
    for (const selector of this.selectors) parts.push(`(${describeSelector(selector)})`);
    for (const role of this.roles) parts.push(`role:${role.name}`);
    if (this.rateLimit !== null) parts.push(`ratelimit:${formatRateLimit(this.rateLimit)}`);
    return parts.join(' ');
  }
}

/**
 * Joins the words of ACL SETUSER so that a selector written over several
 * words, such as `(~key` `+get)`, becomes one rule. Returns the rules, or
 * throws the word that opens a parenthesis never closed.
 */
export function mergeSelectorWords(words: readonly string[]): string[] {
  const rules: string[] = [];
  let open: string | null = null;
  for (const word of words) {
    if (open !== null) {
      open += ` ${word}`;
      if (word.endsWith(')')) {
        rules.push(open);
        open = null;
      }
    } else if (word.startsWith('(') && !word.endsWith(')')) {
      open = word;
    } else {
      rules.push(word);
    }
  }
  if (open !== null) throw new UnmatchedParenthesisError(open.split(' ')[0]);
  return rules;
}

/** A selector opened with `(` and never closed. */
export class UnmatchedParenthesisError extends Error {
  readonly word: string;

  constructor(word: string) {
    super(`unmatched parenthesis at '${word}'`);
    this.word = word;
  }
}
