/**
 * Injection tokens for what the platform made before Nest started (logger, metrics, health, broker,
 * the parsed config), so providers receive them instead of building their own copies. Classes are
 * their own tokens; interfaces need these.
 */
export const LOGGER = Symbol('LOGGER');
export const METRICS = Symbol('METRICS');
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
