import { addBatch } from '../ingest/batch.js';
import type { IngestSink } from '../ingest/sink.js';
import { createLogger } from '../log.js';
import type { TagDB } from './tagdb.js';

const log = createLogger('tags');

/**
 * An IngestSink that registers each tagged name (`name;tag=value`) it has not seen with the tag
 * database, then hands every point on to `sink`. Carbon does the same from its cache (carbon/cache.py
 * calls the TagDB's tag_series for new tagged metrics); here no HTTP hop is needed. Ingest names are
 * already canonical, so the hot path is one Map lookup per tagged point; a series deleted with
 * /tags/delSeries comes back when points for it arrive again, as with carbon.
 */
export function taggingSink(sink: IngestSink, tagdb: TagDB): IngestSink {
  const register = (name: string) => {
    if (!name.includes(';') || tagdb.has(name)) return;
    try {
      tagdb.tagSeries(name);
    } catch (err) {
      // Ingest validated the name already; a refusal here is logged, the point still stored.
      log.limited('tag', `could not index tagged series ${JSON.stringify(name)}: ${(err as Error).message}`);
    }
  };
  return {
    add(name, timestamp, value) {
      register(name);
      sink.add(name, timestamp, value);
    },
    addBatch(batch) {
      const names = batch.names;
      for (let i = 0; i < batch.length; i++) register(names[i]);
      addBatch(sink, batch);
    },
    get paused() {
      return sink.paused;
    },
    onResume(cb) {
      sink.onResume(cb);
    },
  };
}
