/** The benchmark suites `dialtone bench` knows, in the order they run. */
import { suite as concurrency } from './concurrency.bench.js';
import { suite as e2e } from './e2e.bench.js';
import { suite as mediaCodec } from './media-codec.bench.js';
import { suite as mediaRelay } from './media-relay.bench.js';
import { suite as sipMessage } from './sip-message.bench.js';
import { suite as sipTransactions } from './sip-transactions.bench.js';
import type { BenchSuite } from './suite.js';

export const suites: BenchSuite[] = [sipMessage, sipTransactions, mediaCodec, mediaRelay, e2e, concurrency];
