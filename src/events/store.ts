import fs from 'node:fs';
import { readJournalLines } from '../storage/journal.js';

// Graphite's events (graphite-web 1.1.8, events/models.py): annotations with a time, a title
// (`what`), free text (`data`) and space-separated tags, kept by graphite-web in its Django database.
//
// Here they live in memory and in one JSON-lines file in the data directory: one line per change
// (`{"add": event}` or `{"delete": id}`), replayed at start. Events are few (deploys, incidents) and
// written rarely, so an append per change is cheap, needs no database, survives a crash (a torn
// last line is dropped) and stays readable with any text tool.

/** One event, as graphite-web's Event.as_dict describes it. */
export interface GraphiteEvent {
  id: number;
  /** Epoch seconds. */
  when: number;
  what: string;
  data: string;
  tags: string[];
}

/** How a tag filter combines its tags: all of them (default), any, or all (intersection). */
export type TagSetOperation = 'union' | 'intersection' | undefined;

/** What the events() series function needs: the events in a window, optionally by tags. */
export interface EventSource {
  find(from: number, until: number, tags?: string[], set?: TagSetOperation): GraphiteEvent[];
}

/** The event store: in memory, durable through an optional journal file. */
export class EventStore implements EventSource {
  private readonly events = new Map<number, GraphiteEvent>();
  private nextId = 1;

  private constructor(private readonly journal: string | undefined) {}

  /** A store kept only in memory (tests). */
  static inMemory(): EventStore {
    return new EventStore(undefined);
  }

  /** Opens the store journaled at `file`, replaying it; a torn last line is dropped and cut off. */
  static open(file: string): EventStore {
    const store = new EventStore(file);
    const lines = readJournalLines(file);
    for (const line of lines) {
      try {
        const change = JSON.parse(line) as { add?: GraphiteEvent; delete?: number };
        if (change.add) store.put(change.add);
        else if (typeof change.delete === 'number') store.events.delete(change.delete);
      } catch {
        // A line that does not parse is skipped; the others still count.
      }
    }
    return store;
  }

  /** Adds an event (Event.objects.create) and returns it with its id. */
  add(event: Omit<GraphiteEvent, 'id'>): GraphiteEvent {
    const e: GraphiteEvent = { id: this.nextId, ...event };
    this.put(e);
    this.append({ add: e });
    return e;
  }

  /** The event with this id, or undefined. */
  get(id: number): GraphiteEvent | undefined {
    return this.events.get(id);
  }

  /** Deletes an event; false when there was none with this id. */
  delete(id: number): boolean {
    if (!this.events.delete(id)) return false;
    this.append({ delete: id });
    return true;
  }

  /**
   * Event.find_events: events with from <= when <= until, ordered by time (then id). With tags,
   * an event must carry all of them (the default and 'intersection') or any of them ('union').
   */
  find(from: number, until: number, tags?: string[], set?: TagSetOperation): GraphiteEvent[] {
    const out: GraphiteEvent[] = [];
    for (const e of this.events.values()) {
      if (e.when < from || e.when > until) continue;
      if (tags) {
        const has = (t: string) => e.tags.includes(t);
        if (set === 'union' ? !tags.some(has) : !tags.every(has)) continue;
      }
      out.push(e);
    }
    return out.sort((a, b) => a.when - b.when || a.id - b.id);
  }

  private put(e: GraphiteEvent): void {
    this.events.set(e.id, e);
    this.nextId = Math.max(this.nextId, e.id + 1);
  }

  private append(change: object): void {
    if (this.journal) fs.appendFileSync(this.journal, `${JSON.stringify(change)}\n`);
  }
}
