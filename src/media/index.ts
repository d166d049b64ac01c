/**
 * The media module's entry: the in-process media engine. Imports only `kernel`; other layers reach
 * media through this file.
 */

export * from './rtp/index.js';
export * from './port/index.js';
export * from './bridge/index.js';

export * from './codec/index.js';
export * from './dtmf/index.js';
export * from './tone/index.js';
export * from './wav/index.js';
export * from './playback/index.js';
export * from './speech/index.js';
export * from './recording/index.js';
