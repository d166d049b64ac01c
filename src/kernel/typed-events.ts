/**
 * Typed events for engine objects (after mediasoup's EnhancedEventEmitter): each listener is
 * isolated, so one that throws neither stops the others nor unwinds into a socket handler (where
 * Node would turn it into an uncaught exception and take every call down).
 *
 * `emit` passes at most two arguments positionally: per-packet events go through here, and a rest
 * parameter would risk an array per packet. Listener lists are copied on write, so a listener may
 * remove itself (or others) while an event is being delivered.
 */
export type EventListeners<E> = { [K in keyof E]: (...args: never[]) => void };

type AnyListener = (a: unknown, b: unknown) => void;

export class TypedEvents<E extends EventListeners<E>> {
  private readonly listeners = new Map<keyof E, readonly AnyListener[]>();
  private readonly onListenerError: (error: unknown, event: keyof E) => void;

  constructor(onListenerError: (error: unknown, event: keyof E) => void) {
    this.onListenerError = onListenerError;
  }

  on<K extends keyof E>(event: K, listener: E[K]): void {
    const current = this.listeners.get(event) ?? [];
    this.listeners.set(event, [...current, listener as unknown as AnyListener]);
  }

  once<K extends keyof E>(event: K, listener: E[K]): void {
    const wrapper = ((a: unknown, b: unknown) => {
      this.off(event, wrapper as unknown as E[K]);
      (listener as unknown as AnyListener)(a, b);
    }) as unknown as E[K];
    this.on(event, wrapper);
  }

  off<K extends keyof E>(event: K, listener: E[K]): void {
    const current = this.listeners.get(event);
    if (current === undefined) return;
    const next = current.filter((entry) => entry !== (listener as unknown as AnyListener));
    if (next.length === 0) this.listeners.delete(event);
    else this.listeners.set(event, next);
  }

  listenerCount(event: keyof E): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  removeAll(): void {
    this.listeners.clear();
  }

  /** Delivers an event to every listener in registration order. */
  readonly emit: <K extends keyof E>(event: K, ...args: Parameters<E[K]>) => void = this.deliver as never;

  private deliver(event: keyof E, a?: unknown, b?: unknown): void {
    const list = this.listeners.get(event);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      try {
        list[i]!(a, b);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
