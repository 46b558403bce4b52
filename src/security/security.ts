/**
 * The security state of one server: ACL users and roles, rate limits,
 * failed-authentication tracking and the audit log.
 */
import type { Server } from '../engine/server';
import { Acl } from './acl';
import type { DenialReason } from './acl-log';
import { AuditLog } from './audit-log';
import { AuthFailures, type DelaySettings } from './auth-failures';
import { RateLimits } from './rate-limits';

export class Security {
  readonly #server: Server;
  readonly acl: Acl;
  readonly rateLimits: RateLimits;
  readonly authFailures = new AuthFailures();
  /** The audit log while `audit-log-file` is set and could be opened, else null. */
  audit: AuditLog | null = null;

  constructor(server: Server) {
    this.#server = server;
    this.acl = new Acl(server);
    this.rateLimits = new RateLimits(server);
  }

  /** Opens the audit log named by `audit-log-file`; throws when it cannot be opened. */
  openAuditLog(): void {
    const path = this.#server.config.string('audit-log-file');
    if (path !== '') this.audit = new AuditLog(path, this.#server.logger);
  }

  delaySettings(): DelaySettings {
    const config = this.#server.config;
    return {
      grace: config.number('auth-failure-grace'),
      baseMs: config.number('auth-failure-delay'),
      maxMs: config.number('auth-failure-delay-max'),
    };
  }

  /** Counts a denial for INFO stats (acl_access_denied_*). */
  countDenial(reason: DenialReason): void {
    const stats = this.#server.stats;
    if (reason === 'auth') stats.aclDeniedAuth++;
    else if (reason === 'command') stats.aclDeniedCommand++;
    else if (reason === 'key') stats.aclDeniedKey++;
    else stats.aclDeniedChannel++;
  }
}
