export { type Clock, type TimerHandle, systemClock } from './clock.js';
export { ErrorCodes, type ErrorCode, DialtoneError, isDialtoneError } from './errors.js';
export { newSid, isSid, randomToken, randomUint32, type SidPrefix } from './ids.js';
export { type Logger, type LogLevel, createJsonLogger, silentLogger } from './logger.js';
export { TypedEvents, type EventListeners } from './typed-events.js';
export { formatRfc2822 } from './rfc2822.js';
export { EventLoopLagSensor } from './event-loop-lag.js';
export { abortQuietly } from './abort.js';
export { ownedBytes, ownedString } from './owned-bytes.js';
