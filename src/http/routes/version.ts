import type { Handler } from '../router.js';

/** The graphite-web release whose HTTP API Carbonado answers like (clients such as Grafana read it). */
export const GRAPHITE_WEB_VERSION = '1.1.8';

/** /version: graphite-web's version template renders the bare version and a newline. */
export const versionRoute: Handler = () => ({
  contentType: 'text/html; charset=utf-8',
  body: `${GRAPHITE_WEB_VERSION}\n`,
});
