/**
 * Twilio's requests are `application/x-www-form-urlencoded` (POST bodies) and query strings (GET);
 * both become a `Form`: every name with its values in order, so repeated names (StatusCallbackEvent)
 * survive and list URIs can be rebuilt with their filters in the order the client sent them.
 */
export class Form {
  readonly entries: ReadonlyArray<readonly [string, string]>;

  constructor(entries: Iterable<readonly [string, string]>) {
    this.entries = [...entries];
  }

  static parse(encoded: string): Form {
    return new Form(new URLSearchParams(encoded).entries());
  }

  /** The query string of a request URL (`/path?a=1`), or an empty form. */
  static fromUrl(url: string): Form {
    const question = url.indexOf('?');
    return question < 0 ? new Form([]) : Form.parse(url.slice(question + 1));
  }

  static empty(): Form {
    return new Form([]);
  }

  /** First value of `name`; an empty string counts as absent, as Twilio treats `To=`. */
  get(name: string): string | undefined {
    for (const [key, value] of this.entries) if (key === name && value !== '') return value;
    return undefined;
  }

  getAll(name: string): string[] {
    return this.entries.filter(([key]) => key === name).map(([, value]) => value);
  }

  has(name: string): boolean {
    return this.entries.some(([key]) => key === name);
  }
}
