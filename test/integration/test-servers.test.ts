/**
 * The helpers that start real servers for the suite: a server that exits while it is waited
 * for (its port taken by another process, say) must fail the wait at once with its own log,
 * not time out with nothing to show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { GaveUp, Influxd, startOnFreePort, waitFor } from '../helpers/index.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer((s) => s.destroy());
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

test('waitFor retries a probe that throws, and stops at the first GaveUp', async () => {
  let calls = 0;
  await waitFor(
    'a flaky probe',
    () => {
      calls++;
      if (calls < 3) return Promise.reject(new Error('not yet'));
      return Promise.resolve(true);
    },
    5_000,
    1,
  );
  assert.equal(calls, 3);

  let probes = 0;
  await assert.rejects(
    waitFor(
      'a dead server',
      () => {
        probes++;
        return Promise.reject(new GaveUp('the server exited: bind: address already in use'));
      },
      60_000,
      1,
    ),
    (err: unknown) => err instanceof GaveUp && /address already in use/.test(err.message),
  );
  assert.equal(probes, 1, 'no probe after GaveUp');
});

test('startOnFreePort tries a fresh port only while the port was taken, up to its attempts', async () => {
  const ports: number[] = [];
  const port = await startOnFreePort((p) => {
    ports.push(p);
    if (ports.length < 3) return Promise.reject(new GaveUp('listen tcp: bind: address already in use'));
    return Promise.resolve(p);
  });
  assert.equal(ports.length, 3);
  assert.equal(port, ports[2]);

  let tries = 0;
  await assert.rejects(
    startOnFreePort(() => {
      tries++;
      return Promise.reject(new GaveUp('the server exited: no such file'));
    }),
    /no such file/,
  );
  assert.equal(tries, 1, 'an exit for another reason is not retried');

  tries = 0;
  await assert.rejects(
    startOnFreePort(() => {
      tries++;
      return Promise.reject(new GaveUp('bind: address already in use'));
    }, 2),
    /address already in use/,
  );
  assert.equal(tries, 2, 'no more than the attempts asked for');
});

test('influxd whose port is taken while it is down fails its restart with its own log, then restarts once the port is free', async () => {
  const influxd = await Influxd.start();
  try {
    await influxd.exec('CREATE DATABASE kept');
    await influxd.pause();
    const squatter = await listen(influxd.port);
    try {
      await assert.rejects(influxd.resume(), (err: unknown) => {
        assert.ok(err instanceof GaveUp, String(err));
        assert.match(err.message, /influxd exited: .*address already in use/s);
        return true;
      });
    } finally {
      await new Promise((r) => squatter.close(r));
    }
    await influxd.resume();
    const dbs = await influxd.query('', 'SHOW DATABASES');
    assert.ok(
      dbs[0]?.values.some((v) => v[0] === 'kept'),
      'the data directory survived the failed start',
    );
  } finally {
    await influxd.stop();
  }
});
