import { createSocket } from 'node:dgram';
import { connect } from 'node:net';

/** Writes `data` over a new TCP connection to 127.0.0.1:port and resolves once the server closed it too. */
export function sendTcp(port: number, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(data));
    s.on('error', reject);
    s.on('close', () => resolve());
    s.resume();
  });
}

/** Sends one UDP datagram to 127.0.0.1:port. */
export function sendUdp(port: number, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.send(data, port, '127.0.0.1', (err) => {
      s.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

/** GETs a JSON answer from the server's HTTP API. */
export async function getJson<T = unknown>(httpPort: number, pathAndQuery: string): Promise<T> {
  const r = await fetch(`http://127.0.0.1:${httpPort}${pathAndQuery}`);
  if (!r.ok) throw new Error(`GET ${pathAndQuery}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** One series of a /render json answer. */
export interface JsonSeries {
  target: string;
  tags: Record<string, string>;
  datapoints: Array<[number | null, number]>;
}

/** A /render json answer. */
export type RenderJson = JsonSeries[];

/** Polls `check` (a real query, not a timer) until it returns true, at most `attempts` times. */
export async function until(check: () => Promise<boolean>, what: string, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}
