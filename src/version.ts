/** The Damselfly release, and the Redis version it reports to clients that check features by it. */
export const DAMSELFLY_VERSION = '0.1.0';
export const REDIS_COMPATIBLE_VERSION = '7.0.15';
