/**
 * Which connected app gets a new out-of-dialog request: per-method round-robin among the apps that routed
 * that method. Verbs are stored lower-case and de-duplicated (srf re-sends all of its routes whenever one
 * is added); removing a route removes only that verb. Pure bookkeeping, no I/O.
 */
export class Router<App> {
  private readonly routes = new Map<string, App[]>();
  private readonly cursor = new Map<string, number>();

  add(app: App, verb: string): void {
    const key = verb.toLowerCase();
    const apps = this.routes.get(key) ?? [];
    if (!apps.includes(app)) apps.push(app);
    this.routes.set(key, apps);
  }

  remove(app: App, verb: string): void {
    const key = verb.toLowerCase();
    const apps = (this.routes.get(key) ?? []).filter((a) => a !== app);
    if (apps.length === 0) this.routes.delete(key);
    else this.routes.set(key, apps);
  }

  removeApp(app: App): void {
    for (const verb of [...this.routes.keys()]) this.remove(app, verb);
  }

  /** Next app for the method (round-robin), or undefined when no app routed it. */
  pick(verb: string): App | undefined {
    const key = verb.toLowerCase();
    const apps = this.routes.get(key);
    if (!apps || apps.length === 0) return undefined;
    const next = (this.cursor.get(key) ?? 0) % apps.length;
    this.cursor.set(key, next + 1);
    return apps[next];
  }

  /** Every app subscribed to a verb (used for `cdr:*` fan-out). */
  all(verb: string): readonly App[] {
    return this.routes.get(verb.toLowerCase()) ?? [];
  }
}
