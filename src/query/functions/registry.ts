import type { EventSource } from '../../events/store.js';
import type { Series } from '../../storage/series.js';
import type { Node } from '../grammar/ast.js';

/**
 * Parameter types, graphite-web 1.1.8's ParamTypes (graphite/functions/params.py). Each decides how
 * an argument is checked (see params.ts) and is what /functions reports as the parameter's type.
 */
export type ParamType =
  | 'seriesList'
  | 'seriesLists'
  | 'integer'
  | 'float'
  | 'boolean'
  | 'string'
  | 'node'
  | 'nodeOrTag'
  | 'tag'
  | 'intOrInterval'
  | 'intOrInf'
  | 'interval'
  | 'aggFunc'
  | 'aggOrSeriesFunc'
  | 'date'
  | 'any';

/** One parameter of a function, as graphite-web's Param describes it. */
export interface ParamSpec {
  name: string;
  type: ParamType;
  required?: boolean;
  /** The value used when the argument is left out (also shown by /functions). */
  default?: string | number | boolean;
  /** The last parameter may take any number of arguments (Python's *args). */
  multiple?: boolean;
  /** The only values accepted. */
  options?: (string | number)[];
  /** Values offered by editors (Grafana) but not enforced. */
  suggestions?: (string | number)[];
}

/** A window of time a target is evaluated over, epoch seconds. */
export interface TimeWindow {
  from: number;
  until: number;
  now: number;
}

/**
 * What graphite-web keeps in its requestContext across the calls of one request: functions that
 * change it (setXFilesFactor) or carry state from one target to the next (stacked's totalStack).
 */
export interface RequestState {
  /** The request's xFilesFactor; setXFilesFactor changes it for everything evaluated afterwards. */
  xFilesFactor: number;
  /** Named state shared by the calls of one request (stacked's running totals per stack name). */
  shared: Map<string, unknown>;
}

/** What a function sees of the request besides its arguments. */
export interface FunctionContext {
  window: TimeWindow;
  /** The request's time zone (graphite-web's tzinfo). */
  tz: string;
  /** The request's xFilesFactor (graphite-web's requestContext['xFilesFactor']). */
  xFilesFactor: number;
  /** The arguments of this call as written, for functions that re-evaluate them (timeShift). */
  rawArgs: Node[];
  /** Evaluates a node of the target over another window (timeShift, delay-like functions). */
  evaluateOver(node: Node, window: TimeWindow): Promise<Series[]>;
  /** Looks another function up by name (groupByNodes takes a function name as its callback). */
  lookup(name: string): FunctionSpec | undefined;
  /** The request's mutable state; absent where a function is called outside a request (tests). */
  request?: RequestState;
  /** The events the events() function counts; absent when the server keeps none. */
  events?: EventSource;
  /** Parses and evaluates a whole target over the window (applyByNode, aliasQuery build targets). */
  evaluateTarget?(target: string, window: TimeWindow): Promise<Series[]>;
}

/** Arguments after checking: one entry per parameter name; a `multiple` parameter holds an array. */
export type BoundArgs = Map<string, unknown>;

/** A series function, registered once: the table that argument checking and /functions read. */
export interface FunctionSpec {
  name: string;
  /** Other names graphite-web registers the same function under (`sum` for sumSeries). */
  aliases?: string[];
  /** graphite-web's group: Combine, Transform, Calculate, Filter Series, Filter Data, Sorting, Alias... */
  group: string;
  params: ParamSpec[];
  /** One or two sentences for /functions; the linked Graphite doc entry has the full story. */
  description: string;
  /** graphite-web's `aggregator = True`: usable as a groupByNodes callback by name. */
  aggregator?: boolean;
  impl(ctx: FunctionContext, args: BoundArgs): Series[] | Promise<Series[]>;
}

/** The function library: every function under its name and each alias. */
export class Registry {
  private readonly byName = new Map<string, FunctionSpec>();

  /** Registers each spec under its name and aliases; a name registered twice is a bug. */
  add(...specs: FunctionSpec[]): this {
    for (const spec of specs) {
      for (const name of [spec.name, ...(spec.aliases ?? [])]) {
        if (this.byName.has(name)) throw new Error(`BUG: function "${name}" registered twice`);
        this.byName.set(name, spec);
      }
    }
    return this;
  }

  get(name: string): FunctionSpec | undefined {
    return this.byName.get(name);
  }

  /** Every registered name (aliases included) with its spec, sorted by name. */
  entries(): [string, FunctionSpec][] {
    return [...this.byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}
