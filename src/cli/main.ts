#!/usr/bin/env -S node --min-semi-space-size=16
// The young generation starts at its full 16 MiB (V8 starts it at 1 MiB and grows it under load): a
// burst of ingest then neither scavenges every few ms nor promotes the writer's short-lived data into
// old space, whose collections ran on the cores the receivers need (bench/ingest: +12 % points/s
// accepted, median of 5 pairs). `npm start` passes the same flag; bench/ingest reads it from here.
import { readFileSync } from 'node:fs';
import { parseServeFlags, SERVE_USAGE } from './flags.js';
import { startServer } from './serve.js';

const USAGE = `usage: carbonado <command> [options]

commands:
  serve      run the server: carbon receivers, cache, whisper storage, HTTP API
  version    print the version
  help       this text

${SERVE_USAGE}`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function serve(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseServeFlags>;
  try {
    parsed = parseServeFlags(argv);
  } catch (e) {
    process.stderr.write(`carbonado serve: ${(e as Error).message}\n\n${SERVE_USAGE}\n`);
    process.exit(2);
  }
  const server = await startServer(parsed.config, { ephemeralPorts: parsed.ephemeralPorts });
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) {
      process.stderr.write(
        `carbonado: second ${signal}, exiting without draining (the write-ahead log keeps the rest)\n`,
      );
      process.exit(1);
    }
    process.stderr.write(`carbonado: ${signal}: draining the cache to disk\n`);
    server.stop().then(
      () => process.exit(0),
      (e) => {
        process.stderr.write(`carbonado: error while stopping: ${(e as Error).stack}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Printed after the handlers are in place: whoever reads it may signal at once.
  // One machine-readable line so scripts and tests know the bound ports without sleeping.
  process.stdout.write(`carbonado ready ${JSON.stringify(server.ports)}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'version':
    case '--version':
      process.stdout.write(`${version()}\n`);
      return;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
    default:
      process.stderr.write(`carbonado: unknown command '${command}'\n\n${USAGE}\n`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`carbonado: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
