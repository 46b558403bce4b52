/** Every command of the Memcached port by name (names are case-sensitive, as in memcached). */
import { ADMIN_COMMANDS } from './admin-commands';
import { META_COMMANDS } from './meta-commands';
import { STORAGE_COMMANDS } from './storage-commands';
import { TEXT_COMMANDS, type TextHandler } from './text-commands';

export const COMMANDS: ReadonlyMap<string, TextHandler> = new Map([
  ...TEXT_COMMANDS,
  ...STORAGE_COMMANDS,
  ...ADMIN_COMMANDS,
  ...META_COMMANDS,
]);
