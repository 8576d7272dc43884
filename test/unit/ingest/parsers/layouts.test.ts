/**
 * Layouts of the supported families that other firmware prints, beyond the shared fixtures:
 * each input is written for this test (the layout as such devices print it, values of our
 * own), and every value the parser gives is checked, so a made-up or lost value fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LineStatus } from '../../../../src/ingest/parsers/index.js';
import { statusOf } from '../../../helpers/index.js';

/** The status as a plain object, for an exact comparison of every key. */
function plain(s: LineStatus): Record<string, unknown> {
  return { ...s };
}

describe('Broadcom: older `adsl info --show`', () => {
  it('reads a Status line with the Channel line glued on, and the Max(Kbps) / Rate (Kbps) rows', () => {
    const text = [
      'adsl: ADSL driver and PHY status',
      'Status: Showtime  Channel: INTR, Upstream rate = 448 Kbps, Downstream rate = 6016 Kbps',
      'Link Power State: L0',
      'Mode:\t\t\tG.DMT',
      'Channel:\t\tInterleave',
      '\t\tDown\t\tUp',
      'SNR (dB):\t18.5\t\t14.0',
      'Attn(dB):\t31.5\t\t17.0',
      'Pwr(dBm):\t19.1\t\t12.2',
      'Max(Kbps):\t9120\t\t1012',
      'Rate (Kbps):\t6016\t\t448',
      'RSCorr:\t\t12\t\t3',
      'ES:\t\t2\t\t0',
      'SES:\t\t1\t\t0',
      'UAS:\t\t40\t\t40',
    ].join('\n');
    assert.deepStrictEqual(plain(statusOf('broadcom', text)), {
      state: 'Showtime',
      state_class: 'showtime',
      line_up: true,
      mode: 'G.DMT',
      counters_scope: 'total',
      sync_rate_down_kbps: 6016,
      sync_rate_up_kbps: 448,
      attainable_rate_down_kbps: 9120,
      attainable_rate_up_kbps: 1012,
      snr_margin_down_db: 18.5,
      snr_margin_up_db: 14,
      attenuation_down_db: 31.5,
      attenuation_up_db: 17,
      output_power_down_dbm: 19.1,
      output_power_up_dbm: 12.2,
      fec_errors_down: 12,
      fec_errors_up: 3,
      es_down_s: 2,
      es_up_s: 0,
      ses_down_s: 1,
      ses_up_s: 0,
      uas_down_s: 40,
      uas_up_s: 40,
    });
  });

  it('leaves a glued `Retrain Reason:` out of the state, and takes the rates from the Channel line over the Rate row', () => {
    const text = [
      'adsl: ADSL driver and PHY status',
      'Status: ShowtimeRetrain Reason: 0',
      'Channel: FAST, Upstream rate = 512 Kbps, Downstream rate = 4096 Kbps',
      'Mode:                   ADSL2',
      '                Down            Up',
      'Max(Kbps):      10400           1100',
      'Rate (Kbps):    4000            500',
    ].join('\n');
    const s = statusOf('broadcom', text);
    assert.equal(s.state, 'Showtime');
    assert.equal(s.state_class, 'showtime');
    assert.equal(s.sync_rate_down_kbps, 4096);
    assert.equal(s.sync_rate_up_kbps, 512);
    assert.equal(s.attainable_rate_down_kbps, 10400);
    assert.equal(s.attainable_rate_up_kbps, 1100);
  });
});

describe('Cisco: `show controllers vdsl 0`', () => {
  // Two latency paths per direction with NA where unused, an empty upstream attenuation cell,
  // a sign printed apart from its number, tabs and trailing blanks, Total second counters.
  const text = [
    'router#show controllers vdsl 0/1/0',
    'Controller VDSL 0/1/0 is UP',
    '',
    'Daemon Status:\t\tUP ',
    '',
    '\t\t\tXTU-R (DS)\t\tXTU-C (US)',
    'Modem Status:\t\tTC Sync (Showtime!) ',
    'DSL Config Mode:\tAUTO ',
    'Trained Mode:\t\tG.993.2 (VDSL2) Profile 35b',
    'TC Mode:\t\tPTM ',
    'Line 0:',
    '\t\t\tXTU-R (DS)\t\tXTU-C (US)',
    'Trellis:\t\t ON\t\t\t ON',
    'Line Attenuation:\t 12.4 dB\t\t dB',
    'Signal Attenuation:\t 12.9 dB\t\t dB',
    'Noise Margin:\t\t  9.1 dB\t\t 7.7 dB',
    'Attainable Rate:\t180552 kbits/s\t\t 41210 kbits/s',
    'Actual Power:\t\t13.9 dBm\t\t- 2.6 dBm',
    'Per Band Status:       \tD1 \tD2 \tD3 \tU0 \tU1',
    'Line Attenuation(dB):   6.1\t14.2\t22.0\tN/A\t9.9',
    'Noise Margin(dB):       9.0\t9.2\t9.1\tN/A\t7.7',
    'Total FECC:\t\t4411\t\t\t 310',
    'Total ES:\t\t21\t\t\t 1180',
    'Total SES:\t\t3\t\t\t 12',
    'Total LOSS:\t\t1\t\t\t 0',
    'Total UAS:\t\t77\t\t\t 1504',
    '',
    ' \t\t  DS Channel1\t  DS Channel0\tUS Channel1\t  US Channel0',
    'Speed (kbps):\t\t  NA\t      150002\t\tNA\t       40001',
    'Previous Speed:\t\t  NA\t           0\t\tNA\t           0',
    'Reed-Solomon EC:\t  NA\t          55\t\tNA\t           9',
    'CRC Errors:\t\t  NA\t         410\t\tNA\t          18',
    'Header Errors:\t\t  NA\t           2\t\tNA\t           0',
    'Interleave (ms):\t  NA\t        8.00\t\tNA\t        4.00',
  ].join('\n');

  it('reads every metric; the empty cell stays absent and the apart sign is kept', () => {
    assert.deepStrictEqual(plain(statusOf('cisco', text)), {
      state: 'TC Sync (Showtime!)',
      state_class: 'showtime',
      line_up: true,
      mode: 'G.993.2 (VDSL2)',
      profile: '35b',
      counters_scope: 'unknown',
      sync_rate_down_kbps: 150002,
      sync_rate_up_kbps: 40001,
      attainable_rate_down_kbps: 180552,
      attainable_rate_up_kbps: 41210,
      snr_margin_down_db: 9.1,
      snr_margin_up_db: 7.7,
      attenuation_down_db: 12.4,
      output_power_down_dbm: -2.6,
      output_power_up_dbm: 13.9,
      fec_errors_down: 55,
      fec_errors_up: 9,
      crc_errors_down: 410,
      crc_errors_up: 18,
      hec_errors_down: 2,
      hec_errors_up: 0,
      es_down_s: 21,
      es_up_s: 1180,
      ses_down_s: 3,
      ses_up_s: 12,
      uas_down_s: 77,
      uas_up_s: 1504,
      loss_down_s: 1,
      loss_up_s: 0,
    });
  });
});

describe('TR-064: the same arguments as tools print them', () => {
  const expectedInfo = {
    state: 'Up',
    state_class: 'showtime',
    line_up: true,
    sync_rate_down_kbps: 51200,
    sync_rate_up_kbps: 10240,
    attainable_rate_down_kbps: 60111,
    attainable_rate_up_kbps: 14002,
    snr_margin_down_db: 9.5,
    snr_margin_up_db: 12,
    attenuation_down_db: 14.5,
    attenuation_up_db: 9,
  };

  it('a Python dict (fritzconnection call_action)', () => {
    const text = [
      ">>> fc.call_action('WANDSLInterfaceConfig1', 'GetInfo')",
      "{'NewEnable': True,",
      " 'NewStatus': 'Up',",
      " 'NewDataPath': 'Fast',",
      " 'NewUpstreamCurrRate': 10240,",
      " 'NewDownstreamCurrRate': 51200,",
      " 'NewUpstreamMaxRate': 14002,",
      " 'NewDownstreamMaxRate': 60111,",
      " 'NewUpstreamNoiseMargin': 120,",
      " 'NewDownstreamNoiseMargin': 95,",
      " 'NewUpstreamAttenuation': 90,",
      " 'NewDownstreamAttenuation': 145,",
      " 'NewATURVendor': '41564d00'}",
    ].join('\n');
    assert.deepStrictEqual(plain(statusOf('tr064', text)), expectedInfo);
  });

  it('a JSON object (the SOAP reply converted), quoted numbers included', () => {
    const text = [
      '{',
      '    "@xmlns:u": "urn:dslforum-org:service:WANDSLInterfaceConfig:1",',
      '    "NewEnable": "1",',
      '    "NewStatus": "Up",',
      '    "NewUpstreamCurrRate": "10240",',
      '    "NewDownstreamCurrRate": "51200",',
      '    "NewUpstreamMaxRate": "14002",',
      '    "NewDownstreamMaxRate": "60111",',
      '    "NewUpstreamNoiseMargin": "120",',
      '    "NewDownstreamNoiseMargin": "95",',
      '    "NewUpstreamAttenuation": "90",',
      '    "NewDownstreamAttenuation": "145"',
      '}',
    ].join('\n');
    assert.deepStrictEqual(plain(statusOf('tr064', text)), expectedInfo);
  });

  it('counters with the action named by the tool are `total`; without it the scope stays unknown', () => {
    const counters = [
      " 'NewCRCErrors': 12,",
      " 'NewATUCCRCErrors': 3,",
      " 'NewFECErrors': 4001,",
      " 'NewATUCFECErrors': 77,",
      " 'NewErroredSecs': 9,",
      " 'NewLinkRetrain': 1}",
    ];
    const named = statusOf(
      'tr064',
      [
        ">>> fc.call_action('WANDSLInterfaceConfig1', 'GetStatisticsTotal')",
        "{'NewReceiveBlocks': 100,",
        ...counters,
      ].join('\n'),
    );
    assert.deepStrictEqual(plain(named), {
      counters_scope: 'total',
      crc_errors_down: 12,
      crc_errors_up: 3,
      fec_errors_down: 4001,
      fec_errors_up: 77,
      es_down_s: 9,
      retrain_count: 1,
    });
    const bare = statusOf('tr064', ["{'NewReceiveBlocks': 100,", ...counters].join('\n'));
    assert.equal(bare.counters_scope, 'unknown');
  });
});

describe('MediaTek/TrendChip: ZyXEL `dsllinestatus` and `wan adsl perfdata`', () => {
  it('reads Line State, Modulation and `DSL uptime` from the ZyXEL header', () => {
    const text = [
      '==================================================',
      '    xDSLFwVersion:      FwVer:1.2.3 HwVer:T1',
      '       Line State:      Up',
      '       Modulation:      ITU G.993.2(VDSL2)',
      '       Annex Mode:      ANNEX_B',
      '==================================================',
      'near-end interleaved channel bit rate: 49998 kbps',
      'near-end fast channel bit rate: 0 kbps',
      'far-end interleaved channel bit rate: 9998 kbps',
      'far-end fast channel bit rate: 0 kbps',
      'DSL uptime : 2:05, 9 secs',
      'noise margin downstream: 6.6 dB',
      'noise margin upstream: 9.9 dB',
    ].join('\n');
    assert.deepStrictEqual(plain(statusOf('mediatek', text)), {
      state: 'Up',
      state_class: 'showtime',
      line_up: true,
      mode: 'ITU G.993.2(VDSL2)',
      sync_rate_down_kbps: 49998,
      sync_rate_up_kbps: 9998,
      snr_margin_down_db: 6.6,
      snr_margin_up_db: 9.9,
      uptime_s: 2 * 3600 + 5 * 60 + 9,
    });
  });

  it('reads `ADSL uptime h:mm:ss` without a colon and the errored seconds since power-up', () => {
    const text = [
      'near-end FEC error fast: 0',
      'near-end FEC error interleaved: 310',
      'far-end FEC error fast: 0',
      'far-end FEC error interleaved: 2',
      'Error second in 15min           : 0',
      'Error second in 24hr            : 3',
      'Error second after power-up     : 5',
      'ADSL uptime     3:02:01',
    ].join('\n');
    assert.deepStrictEqual(plain(statusOf('mediatek', text)), {
      counters_scope: 'unknown',
      fec_errors_down: 310,
      fec_errors_up: 2,
      es_s: 5,
      uptime_s: 3 * 3600 + 2 * 60 + 1,
    });
  });
});

describe('DrayTek: `vdsl status` / `adsl status` pairs', () => {
  it('reads a label that follows a unit after one blank, and the transmit powers', () => {
    const text = [
      '> vdsl status',
      '  ---------------------- ATU-R Info (hw: annex A, f/w: annex A/B/C) -----------',
      '   Running Mode            :      35B       State                : SHOWTIME',
      '   DS Actual Rate          : 250000000 bps  US Actual Rate       :  40000000 bps',
      '   DS Attainable Rate      : 301200000 bps  US Attainable Rate   :  52000000 bps',
      '   NE Current Attenuation  :          9 dB Cur SNR Margin       :          7  dB',
      '   NE Rx Power             :         10 dBm NE Tx Power          :         5 dBm',
      '   FE Rx Power             :         -3 dBm FE Tx Power          :        14 dBm',
      '   NE CRC Count            :           6    FE  CRC Count        :           1',
      '   NE ES Count             :           4    FE  ES Count         :           2',
      '   Xdsl Reset Times        :           3    Xdsl Link  Times     :           4',
      '  -------------------------------- ATU-C Info ---------------------------------',
      '   Far Current Attenuation :           2 dB  Far SNR Margin       :          11  dB',
    ].join('\n');
    assert.deepStrictEqual(plain(statusOf('draytek', text)), {
      state: 'SHOWTIME',
      state_class: 'showtime',
      line_up: true,
      profile: '35b',
      counters_scope: 'unknown',
      sync_rate_down_kbps: 250000,
      sync_rate_up_kbps: 40000,
      attainable_rate_down_kbps: 301200,
      attainable_rate_up_kbps: 52000,
      snr_margin_down_db: 7,
      snr_margin_up_db: 11,
      attenuation_down_db: 9,
      attenuation_up_db: 2,
      output_power_down_dbm: 14,
      output_power_up_dbm: 5,
      crc_errors_down: 6,
      crc_errors_up: 1,
      es_down_s: 4,
      es_up_s: 2,
      retrain_count: 3,
    });
  });

  it('claims no mode while the line trains and Running Mode is empty', () => {
    const text = [
      '  ---------------------- ATU-R Info (hw: annex B, f/w: annex A/B/C) -----------',
      '   Running Mode            :                State                : TRAINING',
      '   DS Actual Rate          :          0 bps  US Actual Rate       :          0 bps',
      '   Xdsl Reset Times        :           4    Xdsl Link  Times     :           3',
    ].join('\n');
    const s = statusOf('draytek', text);
    assert.equal(s.state, 'TRAINING');
    assert.equal(s.state_class, 'training');
    assert.equal(s.mode, undefined);
    assert.equal(s.profile, undefined);
    assert.equal(s.retrain_count, 4);
  });
});
