/**
 * A request the client got wrong (or a limit it hit). The central handler in server.ts turns it into
 * a response with this status and the message as text; anything else thrown is a logged 500.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** A 400 naming the parameter and quoting the bad value: `invalid from "foo": unknown day reference`. */
export function badParam(name: string, value: string, why: string): HttpError {
  return new HttpError(400, `invalid ${name} ${JSON.stringify(value)}: ${why}`);
}
