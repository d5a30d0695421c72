import { validateArchiveList } from '../storage/whisper/create.js';

/**
 * Carbon's retention syntax, as whisper.parseRetentionDef reads it: `precision:points` where precision is
 * seconds or a number with a unit (s, m/min, h, d, w, y — any prefix of seconds, minutes, hours, days,
 * weeks, years) and points is a count or a duration with a unit (divided by the precision).
 */
export interface Archive {
  secondsPerPoint: number;
  points: number;
}

const UNITS: Array<[string, number]> = [
  ['seconds', 1],
  ['minutes', 60],
  ['hours', 3600],
  ['days', 86400],
  ['weeks', 86400 * 7],
  ['years', 86400 * 365],
];

function unitSeconds(unit: string, def: string): number {
  // whisper.getUnitString: the first unit name the given text is a prefix of ('m' is minutes).
  for (const [name, secs] of UNITS) if (name.startsWith(unit)) return secs;
  throw new Error(`invalid unit '${unit}' in retention '${def}'; want one of s, min, h, d, w, y`);
}

const WITH_UNIT = /^(\d+)([a-z]+)$/;
const DIGITS = /^\d+$/;

export function parseRetention(def: string): Archive {
  const text = def.trim();
  const colon = text.indexOf(':');
  if (colon < 0) throw new Error(`invalid retention '${def}'; want precision:points such as 10s:6h`);
  const precisionText = text.slice(0, colon);
  const pointsText = text.slice(colon + 1);
  let secondsPerPoint: number;
  if (DIGITS.test(precisionText)) secondsPerPoint = Number(precisionText);
  else {
    const m = WITH_UNIT.exec(precisionText);
    if (!m)
      throw new Error(`invalid precision '${precisionText}' in retention '${def}'; want e.g. 10 or 10s`);
    secondsPerPoint = Number(m[1]) * unitSeconds(m[2], def);
  }
  if (secondsPerPoint <= 0) throw new Error(`precision must be positive in retention '${def}'`);
  let points: number;
  if (DIGITS.test(pointsText)) points = Number(pointsText);
  else {
    const m = WITH_UNIT.exec(pointsText);
    if (!m) throw new Error(`invalid points '${pointsText}' in retention '${def}'; want e.g. 8640 or 1d`);
    points = Math.floor((Number(m[1]) * unitSeconds(m[2], def)) / secondsPerPoint);
  }
  if (points <= 0) throw new Error(`retention '${def}' keeps no points`);
  return { secondsPerPoint, points };
}

/** `10s:6h,1m:7d` -> archives, in the order given. */
export function parseRetentions(list: string): Archive[] {
  return list.split(',').map(parseRetention);
}

/**
 * `10s:6h,1m:7d` -> archives sorted by precision, checked against whisper's archive-list rules
 * (validateArchiveList, shared with the whisper writer so a schema can never describe a file whisper
 * would refuse).
 */
export function parseArchiveList(list: string): Archive[] {
  return validateArchiveList(parseRetentions(list));
}
