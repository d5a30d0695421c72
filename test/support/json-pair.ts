import { createHttpServer, type HttpServerOptions, type HttpService } from '../../src/http/server.js';

/**
 * Two HTTP servers over one store, started: `streaming` streams every json answer (streamJsonPoints 1),
 * `whole` none, so a test can ask both the same request and compare the bytes.
 */
export async function startJsonPair(
  options: Pick<HttpServerOptions, 'store' | 'clock' | 'limits'>,
): Promise<{ streaming: HttpService; whole: HttpService; stop: () => Promise<void> }> {
  const common = {
    host: '127.0.0.1',
    port: 0,
    cache: { peek: () => undefined, names: () => [] },
    ...options,
  };
  const streaming = createHttpServer({ ...common, streamJsonPoints: 1 });
  const whole = createHttpServer({ ...common, streamJsonPoints: Number.POSITIVE_INFINITY });
  await Promise.all([streaming.start(), whole.start()]);
  return {
    streaming,
    whole,
    stop: async () => {
      await Promise.all([streaming.stop(), whole.stop()]);
    },
  };
}
