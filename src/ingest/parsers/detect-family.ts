import type { NormalizedText } from './normalize-text.js';
import { PARSER_FAMILIES } from './types.js';
import type { ParserFamily } from './types.js';

// Weighted signatures: a strong header (weight 5+) alone decides, weak label matches add up.
const SIGNATURES: Readonly<Record<ParserFamily, readonly [RegExp, number][]>> = {
  broadcom: [
    // The header, with or without the tool's name in front (`xdslcmd: `, `adsl: `, none).
    [/^\s*(?:(?:xdslctl|xdslcmd|adsl|adslctl):\s*)?ADSL driver and PHY status/im, 10],
    // What every Broadcom output opens with, also when a firmware or a copy leaves the header out.
    [/^\s*(?:Last\s+)?Retrain Reason:\s*\d+/im, 3],
    [/^\s*Last initialization procedure status:\s*\d+/im, 3],
    [/^\s*Status:\s*(?:Showtime|Idle|G\.99[2-4]\s+(?:Training|Started|Channel Analysis|Message Exchange))\s*$/im, 3],
    [/^\s*Max:\s*Upstream rate\s*=/im, 4],
    [/^\s*(?:Bearer|Path|Channel):\s*\w+,\s*Upstream rate\s*=/im, 4],
    [/^\s*Training Status:/im, 2],
    [/^\s*SNR \(dB\):/im, 2],
    [/^\s*Attn\(dB\):/im, 2],
    [/^\s*Since Link time\s*=/im, 2],
    [/^\s*(?:Total|Latest 15 minutes) time\s*=/im, 2],
    [/^\s*(?:RSCorr|RSUnCorr|OHFErr):/m, 3],
    [/^\s*Status:\s*\S/m, 1],
  ],
  lantiq: [
    [/^\s*Line State:\s*\S+\s*\[0x[0-9a-f]+/im, 10],
    [/^\s*dsl\.line_state\w*\s*=/m, 10],
    [/^\s*local dsl\s*=\s*\{\}/m, 6],
    [/^\s*dsl\.\w+\s*=/m, 3],
    [/^\s*Line Uptime(?: Seconds)?:/m, 2],
    [/\(ATTNDR\)|\(ACTATP\)|\(LATN\)/, 3],
    [/^\s*Chipset:\s*(?:Ifx|Lantiq)/im, 3],
  ],
  draytek: [
    [/ATU-R Info \(hw:/i, 10],
    [/Xdsl Reset Times\s*:/i, 6],
    [/^\s*Running Mode\s*:/im, 4],
    [/(?:DS|US) Actual Rate\s*:/i, 4],
    [/^\s*Near End\s+Far End/im, 4],
    [/^\s*RsCorrection\s*:/im, 3],
  ],
  cisco: [
    [/^\s*Modem Status:/im, 6],
    [/chipset information/i, 4],
    [/ATU-R \(DS\)\s+ATU-C \(US\)/i, 6],
    [/XTU-R \(DS\)\s+XTU-C \(US\)/i, 6],
    [/^\s*Trained Mode:/im, 2],
    [/^\s*Reed-Solomon EC:/im, 3],
    [/^\s*DSL Mode:/im, 2],
  ],
  mediatek: [
    [/^\s*ADSL link status:/im, 10],
    [/^\s*current modem status:/im, 10],
    [/(?:near|far)-end (?:interleaved|fast) channel bit rate/i, 6],
    [/(?:near|far)-end (?:FEC|CRC|HEC) error (?:fast|interleaved)/i, 4],
    [/^\s*noise margin (?:down|up)stream:/im, 4],
    [/^\s*(?:ADSL|x?DSL) uptime\b/im, 2],
    [/^\s*Error second (?:in 15min|in 24hr|after power-up)\s*:/im, 4],
    [/tc3162/i, 2],
    // `wan adsl shownoise`: `Noise Margin (Upstream)   : 11.5 db`.
    [/^\s*Noise Margin \((?:Up|Down)stream\)\s*:/im, 4],
    [/^\s*Attenuation \((?:Up|Down)stream\)\s*:/im, 2],
  ],
  realtek: [
    [/^\s*Adsl Line Status\b/im, 10],
    [/^\s*Adsl Mode\s/im, 4],
    [/^\s*SNR Margin (?:Down|Up) Stream\b/im, 4],
    [/^\s*Attenuation (?:Down|Up) Stream\b/im, 4],
  ],
  tr064: [
    [/urn:dslforum-org:service:WANDSLInterfaceConfig/i, 10],
    [/<(?:\w+:)?Get(?:Info|Statistics\w*)Response\b/, 4],
    [/<New(?:Status|\w+Rate|\w+NoiseMargin|\w+Errors|\w+Secs)>/, 4],
    // The same arguments printed by other tools: a JSON object or a Python dict, or `Name: value`.
    [/^\s*['"]?New(?:Downstream|Upstream)(?:CurrRate|MaxRate|NoiseMargin|Attenuation)['"]?\s*[:=]/m, 6],
    [/^\s*['"]?New(?:ATUC)?(?:CRC|FEC|HEC)Errors['"]?\s*[:=]/m, 6],
    // PHP `print_r`: `[NewDownstreamCurrRate] => 12442`.
    [/^\s*\[New(?:Downstream|Upstream)(?:CurrRate|MaxRate|NoiseMargin|Attenuation)\]\s*=>/m, 6],
    [/^\s*\[New(?:ATUC)?(?:CRC|FEC|HEC)Errors\]\s*=>/m, 6],
  ],
  ubus: [
    [/^\s*\{/m, 1],
    [/"(?:state"\s*:\s*"|(?:state_num|up|uptime)"\s*:\s*(?:true|false|\d))/, 4],
    [/"(?:api_version|firmware_version|driver_version|chipset)"\s*:/, 3],
    [/"(?:downstream|upstream|atu_c|errors)"\s*:\s*\{/, 3],
    // iopsys `ubus call dsl status` / `dsl.line.N status` (TR-181 DSL.Line names).
    [/"(?:link_status|standard_used|current_profile)"\s*:/, 4],
    [/"(?:noise_margin|attenuation|power|max_bit_rate|curr_rate)"\s*:\s*\{\s*"(?:us|ds)"/, 3],
    [/"line"\s*:\s*\[\s*\{/, 3],
    [/"(?:errored_secs|xtur_crc_errors|xtuc_crc_errors)"\s*:/, 4],
  ],
  // ZyXEL "xDSL Statistics" page text; unanchored too, for the text inside a JSON string.
  zyxel: [
    [/^\s*(?:VDSL|xDSL|ADSL)\s+Training\s+Status\s*:/im, 10],
    [/\b(?:VDSL|xDSL|ADSL)\s+Training\s+Status\s*:/i, 6],
    [/Port\s+Details\s+(?:Upstream|Downstream)\s+(?:Upstream|Downstream)/i, 6],
    [/^\s*Actual\s+Net\s+Data\s+Rate\s*:/im, 2],
  ],
  // BT Hub status page (`wan_conn.xml`): only its DSL line entry says anything about the line.
  bthub: [[/<wan_linestatus_rate_list\b[^>]*\bvalue\s*=\s*"\s*\[\s*\[/i, 10]],
  // Speedport engineer page: JavaScript arrays of per-direction values and `dsl_*` variables.
  speedport: [
    [/\b(?:up|down)stream_status\[\d+\]\s*=\s*["']/, 6],
    [/\bvar\s+dsl_(?:state|opmode|training)\s*=\s*["']/, 6],
  ],
  // Technicolor / Thomson `xdsl info`: no header line, so its labels add up; one label with a
  // value is never enough on its own, two are.
  technicolor: [
    [/^[ \t]*Modem state:[ \t]*\S/im, 3],
    [/^[ \t]*Up time \(Days hh:mm:ss\):[ \t]*\d/im, 3],
    [/^[ \t]*Bandwidth \(Down\/Up - kbit\/s\):[ \t]*\d/im, 3],
    [/^[ \t]*xDSL (?:Type|Standard):[ \t]*\S/im, 2],
    [/(?:^|\s)(?:Payload rate \[kbps\]|Margins \[dB\]|Output power \[dBm\]):[ \t]*\d/im, 2],
    [/^[ \t]*Number of reset:[ \t]*\d/im, 1],
  ],
};

const MIN_SCORE = 4;

/** The family whose output this looks like, or `undefined` if nothing fits well enough. */
export function detectFamilyIn(input: NormalizedText): ParserFamily | undefined {
  let best: ParserFamily | undefined;
  let bestScore = MIN_SCORE - 1;
  for (const family of PARSER_FAMILIES) {
    let score = 0;
    for (const [pattern, weight] of SIGNATURES[family]) if (pattern.test(input.text)) score += weight;
    if (score > bestScore) {
      best = family;
      bestScore = score;
    }
  }
  return best;
}
