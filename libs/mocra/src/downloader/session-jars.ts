import { CookieJar } from 'tough-cookie';

/**
 * One cookie jar per (module, run) for modules or requests with sessions on: Set-Cookie answers are stored with
 * their domain/path/expiry rules and sent back on matching requests of the same run only. `endRun` drops the jar.
 */
export class SessionJars {
  private readonly jars = new Map<string, CookieJar>();

  /** Cookies the jar holds for the URL, as name/value pairs. */
  cookiesFor(module: string, runId: string | undefined, url: string): Record<string, string> {
    const jar = this.jars.get(jarKey(module, runId));
    const out: Record<string, string> = {};
    if (jar === undefined) return out;
    for (const c of jar.getCookiesSync(url)) out[c.key] = c.value;
    return out;
  }

  /** Stores the Set-Cookie lines of a response ("\n"-joined, as ResponseData carries them). */
  store(module: string, runId: string | undefined, url: string, setCookie: string | undefined): void {
    if (setCookie === undefined || setCookie === '') return;
    const key = jarKey(module, runId);
    let jar = this.jars.get(key);
    if (jar === undefined) {
      jar = new CookieJar();
      this.jars.set(key, jar);
    }
    for (const line of setCookie.split('\n')) {
      // A malformed or foreign-domain cookie is dropped, as a browser would.
      jar.setCookieSync(line, url, { ignoreError: true });
    }
  }

  endRun(module: string, runId: string | undefined): void {
    this.jars.delete(jarKey(module, runId));
  }

  get size(): number {
    return this.jars.size;
  }

  clear(): void {
    this.jars.clear();
  }
}

function jarKey(module: string, runId: string | undefined): string {
  return `${module}\u0000${runId ?? ''}`;
}
