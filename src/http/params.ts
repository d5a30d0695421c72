/**
 * Request parameters as Django's QueryDict sees them in graphite-web: the query string, then the
 * urlencoded POST body appended (`queryParams = request.GET.copy(); queryParams.update(request.POST)`).
 * `get` returns the last value of a repeated key, as QueryDict does; `getAll` every value in order.
 */
export class Params {
  private readonly map = new Map<string, string[]>();

  constructor(...sources: URLSearchParams[]) {
    for (const source of sources) {
      for (const [k, v] of source) {
        const list = this.map.get(k);
        if (list) list.push(v);
        else this.map.set(k, [v]);
      }
    }
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  get(name: string): string | undefined {
    const list = this.map.get(name);
    return list ? list[list.length - 1] : undefined;
  }

  getAll(name: string): string[] {
    return this.map.get(name) ?? [];
  }
}
