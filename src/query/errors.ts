/**
 * A query the user got wrong or that asks for too much (a limit, an unsupported function). The HTTP
 * layer answers it with a 400 and this message; the query layer knows nothing of HTTP.
 */
export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}
