import { DialtoneError, ErrorCodes, isDialtoneError, type Clock, type Logger, type TimerHandle } from '../../kernel/index.js';
import type { SipTransport } from '../transport/types.js';
import type { TimerSettings } from './timer-values.js';

/** What every transaction is built with; the TransactionManager supplies it. */
export interface TransactionContext {
  transport: SipTransport;
  clock: Clock;
  timers: TimerSettings;
  logger: Logger;
  /** Called once when the transaction reaches Terminated (the manager forgets it). */
  onTerminated?: () => void;
}

export type TimerName = 'A' | 'B' | 'C' | 'D' | 'E' | 'F' | 'G' | 'H' | 'I' | 'J' | 'K' | 'L' | 'M' | 'Trying' | 'Cancel';

/**
 * What the four state machines share: the current state and its listeners, the named timers of Table 4
 * on the injected clock, isolation of TU callbacks, and termination that cancels every timer.
 */
export abstract class Transaction<State extends string> {
  /** The method of the request that created the transaction. */
  readonly method: string;
  protected readonly context: TransactionContext;
  private readonly kind: string;
  private childLogger: Logger | undefined;
  private current: State;
  /** Made when first needed: most transactions run one or two timers and have no state listener. */
  private timerHandles: Map<TimerName, TimerHandle> | undefined;
  private stateListeners: Set<(state: State) => void> | undefined;

  protected constructor(method: string, initial: State, context: TransactionContext, kind: string) {
    this.method = method;
    this.current = initial;
    this.context = context;
    this.kind = kind;
  }

  /**
   * This transaction's logger, made on first use: a child logger per transaction costs an object and its
   * fields, and the hot path logs nothing.
   */
  protected get logger(): Logger {
    this.childLogger ??= this.context.logger.child({ transaction: this.kind, branch: this.branch || null, method: this.method });
    return this.childLogger;
  }

  get state(): State {
    return this.current;
  }

  /** The branch of the top Via of the request that created the transaction. */
  abstract get branch(): string;

  get terminated(): boolean {
    return this.current === 'terminated';
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (state: State) => void): () => void {
    const listeners = (this.stateListeners ??= new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      // The transaction may outlive its last listener by 64*T1: it keeps no empty Set meanwhile.
      if (listeners.size === 0 && this.stateListeners === listeners) this.stateListeners = undefined;
    };
  }

  /** Ends the transaction now (the transaction layer is closing): timers stop, the TU hears onTerminated. */
  dispose(): void {
    if (!this.terminated) this.setState('terminated' as State);
  }

  protected setState(next: State): void {
    if (this.current === next) return;
    // No log line per state change: it is per message (ARCHITECTURE.md hot paths).
    this.current = next;
    if (next === 'terminated') this.stopAllTimers();
    if (this.stateListeners !== undefined && this.stateListeners.size > 0) {
      for (const listener of [...this.stateListeners]) this.isolate('state listener', () => listener(next));
    }
    if (next === 'terminated') {
      this.onTerminatedHook();
      if (this.context.onTerminated !== undefined) this.isolate('layer', this.context.onTerminated);
    }
  }

  /** Subclasses tell their TU about termination here. */
  protected abstract onTerminatedHook(): void;

  protected startTimer(name: TimerName, delayMs: number, fire: () => void): void {
    this.stopTimer(name);
    const handles = (this.timerHandles ??= new Map());
    const handle = this.context.clock.setTimeout(() => {
      handles.delete(name);
      fire();
    }, delayMs);
    handles.set(name, handle);
  }

  protected stopTimer(name: TimerName): void {
    const handle = this.timerHandles?.get(name);
    if (handle === undefined) return;
    this.context.clock.clearTimeout(handle);
    this.timerHandles!.delete(name);
  }

  private stopAllTimers(): void {
    if (this.timerHandles === undefined) return;
    for (const handle of this.timerHandles.values()) this.context.clock.clearTimeout(handle);
    this.timerHandles.clear();
  }

  /** Runs a TU callback; an exception is logged and goes no further. */
  protected isolate(what: string, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.logger.error('transaction user callback threw', { callback: what, error: String(error) });
    }
  }
}

/** Whatever the transport rejected with, as the DialtoneError the TU branches on. */
export function asTransportError(error: unknown): DialtoneError {
  if (isDialtoneError(error)) return error;
  return new DialtoneError(ErrorCodes.sipTransportFailure, `transport failure: ${String(error)}`, {}, { cause: error });
}
