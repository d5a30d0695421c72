/**
 * The shape of every long-running part (receiver, writer, collector, server): start and stop are safe
 * to call twice, stop drains, stats feed the self-metrics.
 */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): Record<string, number>;
}
