/**
 * The demo's sample webhook application: a small HTTP server on 127.0.0.1 (ephemeral port) answering
 * each path with fixed markup, and keeping every request and answer for the account the demo prints.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AppExchange {
  /** Wall-clock milliseconds. */
  at: number;
  method: string;
  path: string;
  params: Record<string, string>;
  /** The markup answered (empty for callbacks). */
  answer: string;
}

export type AppRoute = (params: Record<string, string>) => string;

export class SampleApp {
  readonly exchanges: AppExchange[] = [];
  private readonly listeners = new Set<() => void>();

  private constructor(
    private readonly server: http.Server,
    readonly base: string,
    private readonly routes: ReadonlyMap<string, AppRoute>,
  ) {}

  static async start(routes: Record<string, AppRoute>): Promise<SampleApp> {
    let app: SampleApp | undefined;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => app?.serve(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    app = new SampleApp(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, new Map(Object.entries(routes)));
    return app;
  }

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** Resolves once `accept` holds over the exchanges so far (checked after each request), or after `ms`. */
  until(accept: (exchanges: readonly AppExchange[]) => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(value);
      };
      const check = (): void => {
        if (accept(this.exchanges)) done(true);
      };
      const timer = setTimeout(() => done(false), ms);
      this.listeners.add(check);
      check();
    });
  }

  private serve(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    const params = Object.fromEntries(req.method === 'GET' ? url.searchParams : new URLSearchParams(body));
    const route = this.routes.get(url.pathname);
    const answer = route === undefined ? '' : route(params);
    this.exchanges.push({ at: Date.now(), method: req.method ?? 'GET', path: url.pathname, params, answer });
    if (answer === '') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(answer);
    }
    for (const listener of [...this.listeners]) listener();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
