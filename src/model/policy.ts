import { ChunkwiseError } from "../errors.js";
import { parseSize } from "../units.js";
import { FINDING_IDS, type FindingFilters, type FindingId, type Severity, isFindingId } from "./findings.js";
import { DEFAULT_THRESHOLDS, THRESHOLD_KEYS, THRESHOLD_RANGES, type Thresholds } from "./thresholds.js";

/**
 * The `advise --policy FILE` document (JSON), validated strictly:
 *
 *   { "schema": 1,
 *     "thresholds": { "overhead_share": 0.3, "contiguous_bytes": "2GiB", ... },
 *     "silence": ["edge-chunk-waste"],
 *     "severity": { "chunks-too-small": "error" },
 *     "arrays": { "/tas": { "thresholds": {...}, "silence": [...], "severity": {...} },
 *                 "/group/*": { ... } } }
 *
 * Array keys are exact paths or globs (`*` and `?` within one path segment, `**` across segments);
 * a missing leading "/" is implied. Every matching entry applies, in file order, after the
 * top-level settings.
 */
export interface PolicyRules {
  readonly thresholds: Partial<Thresholds>;
  readonly silence: readonly FindingId[];
  readonly severity: Readonly<Partial<Record<FindingId, Severity>>>;
}

export interface Policy extends PolicyRules {
  readonly arrays: readonly { readonly pattern: string; readonly matcher: RegExp; readonly rules: PolicyRules }[];
}

export const EMPTY_POLICY: Policy = { thresholds: {}, silence: [], severity: {}, arrays: [] };

const SEVERITIES: readonly Severity[] = ["info", "warning", "error"];

type Json = Record<string, unknown>;

function fail(file: string, key: string, problem: string): ChunkwiseError {
  return new ChunkwiseError("UsageError", `policy key "${key}": ${problem}`, { path: file });
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(record: Json, allowed: readonly string[], file: string, where: string): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) throw fail(file, where ? `${where}.${key}` : key, `unknown key; allowed: ${allowed.join(", ")}`);
  }
}

function parseThresholds(value: unknown, file: string, where: string): Partial<Thresholds> {
  if (!isObject(value)) throw fail(file, where, "must be an object");
  const byKey = new Map(Object.entries(THRESHOLD_KEYS).map(([field, key]) => [key, field as keyof Thresholds]));
  checkKeys(value, [...byKey.keys()], file, where);
  const out: Partial<Record<keyof Thresholds, number>> = {};
  for (const [key, raw] of Object.entries(value)) {
    const field = byKey.get(key)!;
    let number: number;
    if (field === "contiguousBytes" && typeof raw === "string") {
      try {
        number = parseSize(raw, "size");
      } catch (err) {
        throw fail(file, `${where}.${key}`, (err as Error).message);
      }
    } else if (typeof raw === "number" && Number.isFinite(raw)) {
      number = raw;
    } else {
      throw fail(file, `${where}.${key}`, `must be a number${field === "contiguousBytes" ? " or a size such as \"1GiB\"" : ""}, got ${JSON.stringify(raw)}`);
    }
    const [min, max] = THRESHOLD_RANGES[field];
    if (number < min || number > max) throw fail(file, `${where}.${key}`, `must be between ${min} and ${max}, got ${number}`);
    out[field] = number;
  }
  return out;
}

function parseSilence(value: unknown, file: string, where: string): FindingId[] {
  if (!Array.isArray(value)) throw fail(file, where, "must be an array of finding ids");
  return value.map((id, index) => {
    if (typeof id !== "string" || !isFindingId(id)) throw fail(file, `${where}[${index}]`, `unknown finding id ${JSON.stringify(id)}; known: ${FINDING_IDS.join(", ")}`);
    return id;
  });
}

function parseSeverity(value: unknown, file: string, where: string): Partial<Record<FindingId, Severity>> {
  if (!isObject(value)) throw fail(file, where, "must be an object of finding id → info|warning|error");
  const out: Partial<Record<FindingId, Severity>> = {};
  for (const [id, level] of Object.entries(value)) {
    if (!isFindingId(id)) throw fail(file, `${where}.${id}`, `unknown finding id; known: ${FINDING_IDS.join(", ")}`);
    if (typeof level !== "string" || !SEVERITIES.includes(level as Severity)) throw fail(file, `${where}.${id}`, `must be one of ${SEVERITIES.join(", ")}, got ${JSON.stringify(level)}`);
    out[id] = level as Severity;
  }
  return out;
}

function parseRules(record: Json, file: string, where: string): PolicyRules {
  return {
    thresholds: record.thresholds === undefined ? {} : parseThresholds(record.thresholds, file, join(where, "thresholds")),
    silence: record.silence === undefined ? [] : parseSilence(record.silence, file, join(where, "silence")),
    severity: record.severity === undefined ? {} : parseSeverity(record.severity, file, join(where, "severity")),
  };
}

const join = (where: string, key: string) => (where ? `${where}.${key}` : key);

/** `*` and `?` stay inside one path segment; `**` crosses segments. */
export function globToRegExp(pattern: string): RegExp {
  const anchored = pattern.startsWith("/") ? pattern : `/${pattern}`;
  let source = "";
  for (let i = 0; i < anchored.length; i++) {
    const ch = anchored[i]!;
    if (ch === "*" && anchored[i + 1] === "*") {
      source += ".*";
      i++;
    } else if (ch === "*") source += "[^/]*";
    else if (ch === "?") source += "[^/]";
    else source += ch.replace(/[\\^$.+()[\]{}|]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

export function parsePolicy(text: string, file: string): Policy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new ChunkwiseError("UsageError", `policy file is not valid JSON (${(err as Error).message})`, { path: file });
  }
  if (!isObject(document)) throw new ChunkwiseError("UsageError", "policy file must hold a JSON object", { path: file });
  checkKeys(document, ["schema", "thresholds", "silence", "severity", "arrays"], file, "");
  if (document.schema !== undefined && document.schema !== 1) throw fail(file, "schema", `unsupported policy schema ${JSON.stringify(document.schema)} (this chunkwise reads 1)`);
  const arrays: Policy["arrays"][number][] = [];
  if (document.arrays !== undefined) {
    if (!isObject(document.arrays)) throw fail(file, "arrays", "must be an object of array path or glob → rules");
    for (const [pattern, rules] of Object.entries(document.arrays)) {
      const where = `arrays.${pattern}`;
      if (!isObject(rules)) throw fail(file, where, "must be an object with thresholds, silence or severity");
      checkKeys(rules, ["thresholds", "silence", "severity"], file, where);
      arrays.push({ pattern, matcher: globToRegExp(pattern), rules: parseRules(rules, file, where) });
    }
  }
  return { ...parseRules(document, file, ""), arrays };
}

export interface ResolvedPolicy {
  readonly thresholds: Thresholds;
  readonly filters: FindingFilters;
}

/** Defaults, then the top-level rules, then every array entry that matches `arrayPath`, in file order. */
export function resolvePolicy(policy: Policy, arrayPath: string, base: Thresholds = DEFAULT_THRESHOLDS): ResolvedPolicy {
  const layers: PolicyRules[] = [policy, ...policy.arrays.filter((entry) => entry.matcher.test(arrayPath)).map((entry) => entry.rules)];
  let thresholds: Thresholds = base;
  const silenced = new Set<FindingId>();
  let severities: Partial<Record<FindingId, Severity>> = {};
  for (const layer of layers) {
    thresholds = { ...thresholds, ...layer.thresholds };
    for (const id of layer.silence) silenced.add(id);
    severities = { ...severities, ...layer.severity };
  }
  return { thresholds, filters: { silenced, severities } };
}
