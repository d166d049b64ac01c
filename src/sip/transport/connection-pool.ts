/**
 * The open TCP/TLS connections, found by id and by every remote endpoint they are known to reach:
 * the peer's address and port, the destination we connected to, and RFC 5923 aliases learnt from
 * received Vias. A connection removed from the pool takes all its keys with it.
 */
export interface PooledConnection {
  readonly id: string;
}

export class ConnectionPool<C extends PooledConnection> {
  private readonly byId = new Map<string, C>();
  private readonly byKey = new Map<string, C>();
  private readonly keysOf = new Map<string, Set<string>>();

  size(): number {
    return this.byId.size;
  }

  all(): C[] {
    return [...this.byId.values()];
  }

  add(connection: C, keys: Iterable<string>): void {
    this.byId.set(connection.id, connection);
    if (!this.keysOf.has(connection.id)) this.keysOf.set(connection.id, new Set());
    for (const key of keys) this.alias(connection, key);
  }

  /**
   * Points `key` at `connection`. The newest connection wins a key: a peer that reconnects is reached
   * over its new connection, and the old one keeps only its other keys.
   */
  alias(connection: C, key: string): void {
    const own = this.keysOf.get(connection.id);
    if (own === undefined) return;
    const previous = this.byKey.get(key);
    if (previous !== undefined && previous.id !== connection.id) this.keysOf.get(previous.id)?.delete(key);
    this.byKey.set(key, connection);
    own.add(key);
  }

  get(key: string): C | undefined {
    return this.byKey.get(key);
  }

  getById(id: string): C | undefined {
    return this.byId.get(id);
  }

  remove(connection: C): void {
    if (this.byId.get(connection.id) !== connection) return;
    this.byId.delete(connection.id);
    for (const key of this.keysOf.get(connection.id) ?? []) {
      if (this.byKey.get(key) === connection) this.byKey.delete(key);
    }
    this.keysOf.delete(connection.id);
  }
}
