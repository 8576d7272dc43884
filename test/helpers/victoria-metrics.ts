/**
 * A real VictoriaMetrics (Debian's package) on a free loopback port: it accepts
 * `/api/v2/write`, so it stands in for InfluxDB 2.x. It keeps numeric fields (as
 * `measurement_field` metrics) and stores strings as 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GaveUp, startOnFreePort, waitFor } from './free-port.js';
import { stopChild } from './child-process.js';

export const VICTORIA_METRICS_BIN = process.env['VICTORIA_METRICS_BIN'] ?? '/usr/bin/victoria-metrics';

export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export class VictoriaMetrics {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<VictoriaMetrics> {
    const dir = mkdtempSync(join(tmpdir(), 'kudf-vm-'));
    return startOnFreePort(async (port) => {
      const child = spawn(
        VICTORIA_METRICS_BIN,
        [
          `-storageDataPath=${join(dir, 'data')}`,
          `-httpListenAddr=127.0.0.1:${port}`,
          '-retentionPeriod=100y',
          '-search.latencyOffset=0s',
          '-loggerLevel=ERROR',
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr?.on('data', (c: Buffer) => {
        stderr = (stderr + c.toString()).slice(-4000);
      });
      let exited = false;
      child.once('exit', () => {
        exited = true;
      });
      const vm = new VictoriaMetrics(dir, port, child);
      await waitFor(`victoria-metrics on port ${port}`, async () => {
        if (exited) throw new GaveUp(`victoria-metrics exited: ${stderr}`);
        const res = await fetch(`${vm.url}/health`);
        return res.ok;
      }).catch(async (err: unknown) => {
        await stopChild(child, 10_000);
        throw err;
      });
      return vm;
    }).catch((err: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    });
  }

  /**
   * Every sample of the series matching `selector`. Ingestion is asynchronous, so this asks
   * for a flush and polls until `samples` samples are visible (or 10 s passed).
   */
  async export(selector: string, samples = 1): Promise<ExportedSeries[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      await fetch(`${this.url}/internal/force_flush`);
      const res = await fetch(`${this.url}/api/v1/export?${new URLSearchParams({ 'match[]': selector }).toString()}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`export failed: ${res.status} ${text}`);
      const series = text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as ExportedSeries);
      const seen = series.reduce((n, s) => n + s.values.length, 0);
      if (seen >= samples || Date.now() > deadline) return series;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 10_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
