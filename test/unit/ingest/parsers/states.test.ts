import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ParserFamily, StateClass } from '../../../../src/ingest/parsers/index.js';
import { statusOf } from '../../../helpers/index.js';

function assertState(family: ParserFamily, text: string, state: string, stateClass: StateClass): void {
  const s = statusOf(family, text);
  assert.equal(s.state, state);
  assert.equal(s.state_class, stateClass, `${family} ${state}`);
  assert.equal(s.line_up, stateClass === 'showtime');
}

const broadcom = (status: string): string =>
  [
    'xdslctl: ADSL driver and PHY status',
    `Status: ${status}`,
    'Last Retrain Reason:\t0',
    'Last initialization procedure status:\t0',
  ].join('\n');

describe('Broadcom Status: mapping', () => {
  const table: [string, StateClass][] = [
    ['Showtime', 'showtime'],
    ['G.994 Training', 'training'],
    ['G.992 Started', 'training'],
    ['G.993 Started', 'training'],
    ['G.992 Channel Analysis', 'training'],
    ['G.922 Channel Analysis', 'training'],
    ['G.993 Message Exchange', 'training'],
    ['Idle', 'idle'],
    ['Something New', 'unknown'],
  ];
  for (const [status, cls] of table) {
    it(`maps "${status}" to ${cls}`, () => assertState('broadcom', broadcom(status), status, cls));
  }

  it('keeps the printed zero rates of an idle line and reports no uptime', () => {
    const text = `${broadcom('Idle')}\nMax:\tUpstream rate = 0 Kbps, Downstream rate = 0 Kbps\nBearer:\t0, Upstream rate = 0 Kbps, Downstream rate = 0 Kbps\n`;
    const s = statusOf('broadcom', text);
    assert.equal(s.sync_rate_down_kbps, 0);
    assert.equal(s.uptime_s, undefined);
    assert.equal(s.counters_scope, undefined);
  });

  it('sums FAST and INTR channel lines of a split ADSL1 link', () => {
    const text = [
      'adsl: ADSL driver and PHY status',
      'Status: Showtime',
      'Max:    Upstream rate = 1000 Kbps, Downstream rate = 9000 Kbps',
      'Channel:        FAST, Upstream rate = 64 Kbps, Downstream rate = 512 Kbps',
      'Channel:        INTR, Upstream rate = 256 Kbps, Downstream rate = 2048 Kbps',
    ].join('\n');
    const s = statusOf('broadcom', text);
    assert.equal(s.sync_rate_down_kbps, 2560);
    assert.equal(s.sync_rate_up_kbps, 320);
  });
});

describe('Lantiq Line State mapping', () => {
  const table: [string, string, StateClass][] = [
    ['0x0', 'not initialized', 'down'],
    ['0x1', 'exception', 'error'],
    ['0x100', 'idle', 'idle'],
    ['0x200', 'silent', 'down'],
    ['0x300', 'handshake', 'training'],
    ['0x380', 'full_init', 'training'],
    ['0x400', 'discovery', 'training'],
    ['0x500', 'training', 'training'],
    ['0x600', 'analysis', 'training'],
    ['0x700', 'exchange', 'training'],
    ['0x800', 'showtime_no_sync', 'training'],
    ['0x801', 'showtime_tc_sync', 'showtime'],
    ['0x900', 'fastretrain', 'training'],
  ];
  for (const [code, detail, cls] of table) {
    const state = code === '0x801' ? 'UP' : 'DOWN';
    it(`maps ${code} (${detail}) to ${cls} in status and lucistat output`, () => {
      const status = `Chipset:\t\t\tIfx-AR9 1.2\nLine State:\t\t\t${state} [${code}: ${detail}]\nLine Uptime:\t\t0h 2m 24s\n`;
      assertState('lantiq', status, state, cls);
      assert.equal(statusOf('lantiq', status).state_detail, detail);
      const lucistat = `local dsl={}\ndsl.line_state_num=${code}\ndsl.line_state_detail="${detail}"\ndsl.line_state="${state}"\ndsl.line_uptime=144\nreturn dsl\n`;
      assertState('lantiq', lucistat, state, cls);
      assert.equal(statusOf('lantiq', lucistat).uptime_s, cls === 'showtime' ? 144 : undefined);
    });
  }

  it('reads the full modern status layout with near/far counters', () => {
    const text = [
      'ATU-C Vendor ID:                          Broadcom 192.26',
      'Chipset:                                  Lantiq-VRX200',
      'Annex:                                    B',
      'Line Mode:                                G.993.2 (VDSL2)',
      'Profile:                                  17a',
      'Line State:                               UP [0x801: showtime_tc_sync]',
      'Forward Error Correction Seconds (FECS):  Near: 0 / Far: 2154',
      'Errored seconds (ES):                     Near: 3 / Far: 1',
      'Severely Errored Seconds (SES):           Near: 0 / Far: 0',
      'Loss of Signal Seconds (LOSS):            Near: 0 / Far: 0',
      'Unavailable Seconds (UAS):                Near: 46 / Far: 46',
      'Header Error Code Errors (HEC):           Near: 0 / Far: 0',
      'Non Pre-emtive CRC errors (CRC_P):        Near: 12 / Far: 4',
      'Pre-emtive CRC errors (CRCP_P):           Near: 0 / Far: 0',
      'Power Management Mode:                    L0 - Synchronized',
      'Latency [Interleave Delay]:               0.25 ms [Fast]   0.0 ms [Fast]',
      'Data Rate:                                Down: 99.999 Mb/s / Up: 39.999 Mb/s',
      'Line Attenuation (LATN):                  Down: 12.5 dB / Up: 13.8 dB',
      'Signal Attenuation (SATN):                Down: 12.4 dB / Up: 13.7 dB',
      'Noise Margin (SNR):                       Down: 9.8 dB / Up: 10.5 dB',
      'Aggregate Transmit Power (ACTATP):        Down: 14.3 dB / Up: 14.3 dB',
      'Max. Attainable Data Rate (ATTNDR):       Down: 112.404 Mb/s / Up: 46.376 Mb/s',
      'Line Uptime Seconds:                      1234',
      'Line Uptime:                              20m 34s',
    ].join('\n');
    assert.deepStrictEqual(statusOf('lantiq', text), {
      state: 'UP',
      state_detail: 'showtime_tc_sync',
      state_class: 'showtime',
      line_up: true,
      mode: 'G.993.2 (VDSL2)',
      profile: '17a',
      counters_scope: 'total',
      sync_rate_down_kbps: 99999,
      sync_rate_up_kbps: 39999,
      attainable_rate_down_kbps: 112404,
      attainable_rate_up_kbps: 46376,
      snr_margin_down_db: 9.8,
      snr_margin_up_db: 10.5,
      attenuation_down_db: 12.5,
      attenuation_up_db: 13.8,
      signal_attenuation_down_db: 12.4,
      signal_attenuation_up_db: 13.7,
      output_power_down_dbm: 14.3,
      output_power_up_dbm: 14.3,
      crc_errors_down: 12,
      crc_errors_up: 4,
      hec_errors_down: 0,
      hec_errors_up: 0,
      es_down_s: 3,
      es_up_s: 1,
      ses_down_s: 0,
      ses_up_s: 0,
      uas_down_s: 46,
      uas_up_s: 46,
      fecs_down_s: 0,
      fecs_up_s: 2154,
      loss_down_s: 0,
      loss_up_s: 0,
      uptime_s: 1234,
    });
  });
});

const draytek = (state: string): string =>
  [
    '  ---------------------- ATU-R Info (hw: annex A, f/w: annex A/B/C) -----------',
    `   Running Mode            :      17A       State                : ${state}`,
    '   DS Actual Rate          :  49999000 bps  US Actual Rate       :   9999000 bps',
    '   DS Attainable Rate      :  73256000 bps  US Attainable Rate   :  23360000 bps',
    '   NE Current Attenuation  :     13 dB      Cur SNR Margin       :     14  dB',
    '   NE CRC Count            :          1     FE CRC Count         :     25',
    '   NE ES Count             :          1     FE  ES Count         :      2',
    '   Xdsl Reset Times        :          0     Xdsl Link  Times     :      1',
    '  -------------------------- ATU-C Info ---------------',
    '   Far Current Attenuation :     0 dB       Far SNR Margin       :      9  dB',
  ].join('\n');

describe('DrayTek State mapping', () => {
  const table: [string, StateClass][] = [
    ['SHOWTIME', 'showtime'],
    ['TRAINING', 'training'],
    ['READY', 'idle'],
  ];
  for (const [state, cls] of table) {
    it(`maps ${state} to ${cls}`, () => assertState('draytek', draytek(state), state, cls));
  }

  it('reads the two-column vdsl status layout with rates in bps', () => {
    assert.deepStrictEqual(statusOf('draytek', draytek('SHOWTIME')), {
      state: 'SHOWTIME',
      state_class: 'showtime',
      line_up: true,
      profile: '17a',
      counters_scope: 'unknown',
      sync_rate_down_kbps: 49999,
      sync_rate_up_kbps: 9999,
      attainable_rate_down_kbps: 73256,
      attainable_rate_up_kbps: 23360,
      snr_margin_down_db: 14,
      snr_margin_up_db: 9,
      attenuation_down_db: 13,
      attenuation_up_db: 0,
      crc_errors_down: 1,
      crc_errors_up: 25,
      es_down_s: 1,
      es_up_s: 2,
      retrain_count: 0,
    });
  });
});

describe('TrendChip / MediaTek status mapping', () => {
  const table: [string, StateClass][] = [
    ['up', 'showtime'],
    ['initializing', 'training'],
    ['wait for initialization', 'idle'],
    ['down', 'down'],
  ];
  for (const [state, cls] of table) {
    it(`maps "${state}" to ${cls} under both labels`, () => {
      assertState(
        'mediatek',
        `ADSL link status: ${state}\n\nOpmode: ITU G.992.5(ADSL2PLUS)\nADSL uptime : 0:05, 3 secs\n`,
        state,
        cls,
      );
      assertState('mediatek', `current modem status: ${state}\n`, state, cls);
    });
  }

  it('reports uptime only while the line is up', () => {
    const up = statusOf('mediatek', 'ADSL link status: up\nADSL uptime : 2 days, 1:02, 3 secs\n');
    assert.equal(up.uptime_s, 2 * 86400 + 3600 + 120 + 3);
    const down = statusOf('mediatek', 'ADSL link status: down\nADSL uptime : 1:02, 3 secs\n');
    assert.equal(down.uptime_s, undefined);
  });
});

describe('Realtek Adsl Line Status mapping', () => {
  const table: [string, StateClass][] = [
    ['SHOWTIME.', 'showtime'],
    ['ACTIVATING.', 'training'],
    ['IDLE.', 'idle'],
  ];
  for (const [printed, cls] of table) {
    const state = printed.replace(/\.$/, '');
    it(`maps "${printed}" to ${cls} and drops the trailing dot`, () =>
      assertState('realtek', `Adsl Line Status         ${printed}\nAdsl Mode                   G992.5\n`, state, cls));
  }
});

describe('TR-064 NewStatus mapping', () => {
  const table: [string, StateClass][] = [
    ['Up', 'showtime'],
    ['EstablishingLink', 'training'],
    ['Initializing', 'down'],
    ['NoSignal', 'down'],
    ['Disabled', 'down'],
    ['Error', 'error'],
  ];
  for (const [state, cls] of table) {
    it(`maps ${state} to ${cls}`, () =>
      assertState(
        'tr064',
        `<s:Envelope><s:Body><u:GetInfoResponse xmlns:u="urn:dslforum-org:service:WANDSLInterfaceConfig:1">\n<NewStatus>${state}</NewStatus>\n</u:GetInfoResponse></s:Body></s:Envelope>`,
        state,
        cls,
      ));
  }

  it('scopes GetStatisticsShowtime counters to the current sync', () => {
    const s = statusOf(
      'tr064',
      '<u:GetStatisticsShowtimeResponse xmlns:u="urn:dslforum-org:service:WANDSLInterfaceConfig:1">\n<NewCRCErrors>3</NewCRCErrors>\n<NewATUCCRCErrors>0</NewATUCCRCErrors>\n</u:GetStatisticsShowtimeResponse>',
    );
    assert.deepStrictEqual(s, { counters_scope: 'since_sync', crc_errors_down: 3, crc_errors_up: 0 });
  });
});

describe('OpenWrt ubus state mapping', () => {
  const table: [string, boolean, StateClass][] = [
    ['Showtime with TC-Layer sync', true, 'showtime'],
    ['Showtime without TC-Layer sync', false, 'training'],
    ['Handshake', false, 'training'],
    ['Training', false, 'training'],
    ['Idle', false, 'idle'],
    ['Silent', false, 'down'],
  ];
  for (const [state, up, cls] of table) {
    it(`maps "${state}" with up=${String(up)} to ${cls}`, () =>
      assertState(
        'ubus',
        `{\n\t"api_version": "4.17.18.7",\n\t"state": "${state}",\n\t"state_num": 3,\n\t"up": ${String(up)}\n}\n`,
        state,
        cls,
      ));
  }

  it('reads rates, levels and counters from a complete reply', () => {
    const reply = JSON.stringify(
      {
        api_version: '4.17.18.7',
        state: 'Showtime with TC-Layer sync',
        up: true,
        uptime: 3600,
        mode: 'G.993.2 (VDSL2, Profile 17a, with down- and upstream vectoring)',
        profile: '17a',
        upstream: { data_rate: 31999000, latn: 13.8, satn: 13.7, snr: 10.5, actatp: 14.3, attndr: 46376000 },
        downstream: { data_rate: 99999000, latn: 12.5, satn: 12.4, snr: 9.8, actatp: 14.1, attndr: 112404000 },
        errors: {
          near: { es: 1, ses: 0, loss: 0, uas: 40, fecs: 7, hec: 0, crc_p: 2 },
          far: { es: 0, ses: 0, loss: 0, uas: 40, fecs: 9, hec: 0, crc_p: 0 },
        },
      },
      null,
      '\t',
    );
    const s = statusOf('ubus', reply);
    assert.equal(s.sync_rate_down_kbps, 99999);
    assert.equal(s.attainable_rate_up_kbps, 46376);
    assert.equal(s.snr_margin_up_db, 10.5);
    assert.equal(s.output_power_down_dbm, 14.1);
    assert.equal(s.crc_errors_down, 2);
    assert.equal(s.fecs_up_s, 9);
    assert.equal(s.uptime_s, 3600);
    assert.equal(s.profile, '17a');
    assert.equal(s.counters_scope, 'total');
  });
});

describe('Cisco Modem Status mapping', () => {
  const table: [string, StateClass][] = [
    ['Showtime (DMTDSL_SHOWTIME)', 'showtime'],
    ['Training (DMTDSL_TRAINING)', 'training'],
    ['Down', 'down'],
    ['Shutdown', 'down'],
  ];
  for (const [state, cls] of table) {
    it(`maps "${state}" to ${cls}`, () =>
      assertState(
        'cisco',
        `ATM0\nAlcatel 20190 chipset information\n         ATU-R (DS)            ATU-C (US)\nModem Status:     ${state}\n`,
        state,
        cls,
      ));
  }
});
