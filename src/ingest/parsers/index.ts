/**
 * DSL router status parsers: pure functions from a command's raw output to a `LineStatus`.
 * One module per router family (CLI outputs, and the web pages the `http` transport fetches);
 * `parseStatus(family | 'auto', text)` is the entry point.
 */
import { parseBroadcom } from './broadcom.js';
import { parseBthub } from './bthub.js';
import { parseCisco } from './cisco.js';
import { detectFamilyIn } from './detect-family.js';
import { parseDraytek } from './draytek.js';
import { parseLantiq } from './lantiq.js';
import { parseMediatek } from './mediatek.js';
import { normalizeText } from './normalize-text.js';
import type { NormalizedText } from './normalize-text.js';
import { parseRealtek } from './realtek.js';
import { parseSpeedport } from './speedport.js';
import { parseTechnicolor } from './technicolor.js';
import { parseTr064, tr064Fault } from './tr064.js';
import type { LineStatus, ParseOutcome, ParserFamily } from './types.js';
import { PARSER_FAMILIES } from './types.js';
import { parseUbus } from './ubus.js';
import { parseZyxel } from './zyxel.js';

export { LINE_METRIC_KEYS, LINE_TEXT_KEYS } from './metric-keys.js';
export { normalizeText } from './normalize-text.js';
export type { NormalizedText } from './normalize-text.js';
export { PARSER_FAMILIES, WEB_PAGE_FAMILIES } from './types.js';
export type {
  CountersScope,
  FloatMetricKey,
  IntMetricKey,
  LineMetricKey,
  LineStatus,
  ParseOutcome,
  ParserFamily,
  StateClass,
} from './types.js';

const PARSERS: Readonly<Record<ParserFamily, (input: NormalizedText) => LineStatus>> = {
  broadcom: parseBroadcom,
  realtek: parseRealtek,
  draytek: parseDraytek,
  lantiq: parseLantiq,
  mediatek: parseMediatek,
  cisco: parseCisco,
  tr064: parseTr064,
  ubus: parseUbus,
  zyxel: parseZyxel,
  bthub: parseBthub,
  speedport: parseSpeedport,
  technicolor: parseTechnicolor,
};

/** True for a family name `parseStatus` accepts (not counting `'auto'`). */
export function isParserFamily(name: string): name is ParserFamily {
  return (PARSER_FAMILIES as readonly string[]).includes(name);
}

/**
 * The router family a status output comes from, judged from its labels; `undefined` when the
 * text does not look like any known family. Tolerates prompts, echoed commands and pager residue.
 */
export function detectFamily(text: string): ParserFamily | undefined {
  return detectFamilyIn(normalizeText(text));
}

/**
 * Parses one status output. With `'auto'` the family is detected first. Never throws: text
 * that yields no field at all (garbage, an empty reply, another family's output, a SOAP fault)
 * gives `{ ok: false, reason }`. Keys the device did not print are absent from `status`.
 */
export function parseStatus(family: ParserFamily | 'auto', text: string): ParseOutcome {
  const input = normalizeText(text);
  if (input.lines.every((l) => l.trim().length === 0)) {
    return { ok: false, family, reason: 'empty output: nothing but whitespace, prompts or pager residue' };
  }
  const resolved = family === 'auto' ? detectFamilyIn(input) : family;
  if (resolved === undefined) {
    return {
      ok: false,
      family,
      reason: 'unrecognised output: no known DSL status format (family could not be detected)',
    };
  }
  if (resolved === 'tr064') {
    const fault = tr064Fault(input);
    if (fault !== undefined) return { ok: false, family: resolved, reason: fault };
  }
  let status: LineStatus;
  try {
    status = PARSERS[resolved](input);
  } catch (err) {
    // Parsers are written not to throw; this keeps a poller alive if one ever does.
    return {
      ok: false,
      family: resolved,
      reason: `parser failed: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (Object.keys(status).length === 0) {
    return { ok: false, family: resolved, reason: `no ${resolved} status fields found in the output` };
  }
  return { ok: true, family: resolved, status };
}
