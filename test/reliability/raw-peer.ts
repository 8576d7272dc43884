import { connect, type Socket } from 'node:net';
import { KapacitorClient, probeInfo } from '../../src/probe/index.js';
import { FrameDecoder, decodeResponse, type Point, type Response } from '../../src/protocol/index.js';
import { beforeDeadline } from '../helpers/index.js';

export async function rawConnect(path: string): Promise<Socket> {
  const socket = connect({ path, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

export interface Exchange {
  responses: Response[];
  /** 'host' when the host closed the connection, 'timeout' when it was still open at the deadline. */
  ended: 'host' | 'timeout';
  /** Set when the bytes the host sent could not be decoded. */
  badReply?: string;
}

/**
 * Sends bytes the way a broken or hostile peer would and reads what comes back until the host
 * closes or `timeoutMs` passes. `endAfter` closes our write side after sending, as Kapacitor
 * does when it stops a task.
 */
export async function exchange(
  path: string,
  bytes: Uint8Array,
  opts: { endAfter?: boolean; timeoutMs?: number } = {},
): Promise<Exchange> {
  const socket = await rawConnect(path);
  const decoder = new FrameDecoder();
  const responses: Response[] = [];
  let badReply: string | undefined;
  socket.on('data', (chunk: Buffer) => {
    try {
      decoder.feed(chunk);
      for (let b = decoder.nextFrame(); b !== undefined; b = decoder.nextFrame()) responses.push(decodeResponse(b));
    } catch (err) {
      badReply = (err as Error).message;
    }
  });
  socket.on('error', () => undefined);
  socket.on('end', () => socket.end());
  const closed = new Promise<'host'>((resolve) => socket.on('close', () => resolve('host')));
  if (opts.endAfter === true) socket.end(bytes);
  else socket.write(bytes);
  const ended = (await beforeDeadline(closed, opts.timeoutMs ?? 5000)) === 'host' ? 'host' : 'timeout';
  socket.destroy();
  return { responses, ended, ...(badReply !== undefined ? { badReply } : {}) };
}

export function seqPoint(seq: number, fields: Point['fields'] = {}): Point {
  return {
    time: 1_700_000_000_000_000_000n + BigInt(seq) * 1_000_000n,
    name: 'seq',
    database: 'db',
    retentionPolicy: 'autogen',
    group: 'host=a',
    dimensions: ['host'],
    tags: { host: 'a' },
    fields: { seq: BigInt(seq), v: seq / 2, ...fields },
    byName: false,
  };
}

/** A fresh connection gets Info, and a fresh mirror task gets its points back unchanged. */
export async function assertServing(socketOf: (udf: string) => string): Promise<void> {
  const info = await probeInfo({ socket: socketOf('mirror') }, 3000);
  if (info.wants !== 'stream') throw new Error(`Info on a fresh connection: wants=${info.wants}`);
  const client = await KapacitorClient.connectSocket(socketOf('mirror'), { timeoutMs: 0 });
  const init = await client.init([], 'health', 'n');
  if (!init.success) throw new Error(`Init on a fresh connection failed: ${init.error}`);
  client.sendMany([0, 1, 2].map((i) => ({ kind: 'point' as const, point: seqPoint(i) })));
  await client.close();
  const seqs = client.data.map((r) => (r.kind === 'point' ? r.point.fields['seq'] : r.kind));
  if (JSON.stringify(seqs.map(String)) !== JSON.stringify(['0', '1', '2']))
    throw new Error(`a fresh mirror task got ${seqs.map(String).join(',')}`);
}
