import type { SharedBatchBudget } from './batch-budget.js';
import type { RunnerReport } from './observer.js';
import type { SessionCounts } from './session.js';
import type { RunnerReloadResult, SessionRunnerLimits } from './session-runner.js';

/**
 * Messages between the main thread (which owns the sockets) and a session worker (which owns
 * the sessions). Bytes cross the boundary as transferred ArrayBuffers, never copied.
 */
export type ToWorker =
  /** `keepalivesAnswered`: the main thread answers this connection's keepalives itself. */
  | { type: 'open'; id: number; udf: string; keepalivesAnswered?: boolean; resume?: Resume }
  /** Raw bytes read from the connection. */
  | { type: 'data'; id: number; bytes: Uint8Array }
  /** The peer closed its write side: finish the session, write every pending reply. */
  | { type: 'end'; id: number }
  /** The connection is gone (reset or closed by us): drop the session without replying. */
  | { type: 'abort'; id: number; reason: string }
  /**
   * Every read, 'end' and 'abort' of one event-loop turn for this worker, in order, in one
   * message: one wake-up of the worker for all the connections read in that turn, and when
   * thousands of peers go at once (Kapacitor restarted) one hand-off per turn instead of one per
   * connection keeps the thread that answers keepalives free. `recycled`: written reply buffers
   * handed back with them instead of in a 'recycle' of their own.
   */
  | { type: 'closes'; messages: TurnMessage[]; recycled?: ArrayBuffer[] }
  | { type: 'ping'; seq: number }
  /**
   * Load these modules (the changed ones under new URLs, so they are imported afresh) and move
   * the sessions of changed functions to them; refused when a file no longer has its digest.
   */
  | { type: 'reload'; generation: number; udfModules: string[]; moduleDigests: Record<string, string> }
  /**
   * Reply buffers the main thread has finished writing, handed back only to take them off the
   * main thread's heap: a transferred-in ArrayBuffer counts as external memory there until a
   * full GC finds it dead, and at 100+ MB/s of replies that meant a mark-compact every 100-250 ms
   * on the thread that reads the sockets and answers keepalives. Handing them back (detaching)
   * releases them at once; the worker, which scavenges every few ms anyway, frees them.
   */
  | { type: 'recycle'; buffers: ArrayBuffer[] };

export type FromWorker =
  | { type: 'ready' }
  /**
   * Encoded response frames for a connection, and how many input bytes have been consumed.
   * `closed` marks the last message: the session is over, close once these bytes are written.
   * It travels in the same message so that nothing (e.g. a keepalive answered by the main
   * thread) can be written after a final ErrorResponse.
   */
  | OutMessage
  /** Several 'out' messages in one, in order: the answers to a 'closes' message. */
  | { type: 'outs'; messages: OutMessage[] }
  /** A heartbeat answer, with the sessions' counts and the events since the last one. */
  | { type: 'pong'; seq: number; report?: RunnerReport }
  /** The outcome of a reload in this worker. */
  | ({ type: 'reloaded'; generation: number } & (({ ok: true } & RunnerReloadResult) | { ok: false; error: string }));

/**
 * A session as it was at one frame boundary of its input: what another worker needs to take it
 * up from there. Input after `inputPos` is replayed, and the first response frames it yields, up
 * to what was already sent past `outputFrames`, are not sent again.
 */
export interface Checkpoint {
  /** Bytes of input (whole frames) the session had handled. */
  inputPos: number;
  /** Response frames it had written, skipped ones of a replay included. */
  outputFrames: number;
  /** The InitRequest body, once there was one. */
  init: Uint8Array | null;
  /** The function's state as a snapshot (encoded as for Kapacitor); null: fresh from Init. */
  snapshot: Uint8Array | null;
  counts: SessionCounts;
}

/** How a worker takes up a session moved to it: the checkpoint, and the frames not to send again. */
export interface Resume {
  checkpoint: Checkpoint;
  skipFrames: number;
}

export interface WorkerSetup {
  /** Module URLs whose default export (or `builtinUdfs` list) are function definitions. */
  udfModules: string[];
  limits: SessionRunnerLimits;
  /** The host-wide budget for open batches (shared memory, the same for every worker). */
  openBatches?: SharedBatchBudget;
  /** This worker's cell in `openBatches`: its slot in the pool. */
  place?: number;
  /** How long each module may take to load. */
  loadTimeoutMs: number;
  /** SHA-256 of each file module as the host started with it; a worker refuses to load a changed one. */
  moduleDigests?: Record<string, string>;
  logLevel: string;
  /** `json` or `pretty`, as the main thread's logger; absent: pretty only on a terminal. */
  logFormat?: 'json' | 'pretty';
  /** File descriptor the worker's pino writes to. */
  logFd: 1 | 2;
  /** This worker's progress cells (see WorkMeter); set for each worker by the pool. */
  meter?: SharedArrayBuffer;
}

/** A worker's message about one connection: its replies, and whether its session is over. */
export interface OutMessage {
  type: 'out';
  id: number;
  bytes: Uint8Array | null;
  consumed: number;
  closed?: { counts: SessionCounts; reason: 'eof' | 'error' };
  /** The session was initialised by a request of this chunk. */
  started?: { taskID: string; nodeID: string };
  /** Response frames in `bytes` (keepalives answered by the main thread are not among them). */
  frames: number;
  /** Where the session can be taken up again from, should its worker be lost (see Checkpoint). */
  checkpoint?: Checkpoint;
}

/** The messages that end a connection's session on its worker. */
export type CloseMessage = Extract<ToWorker, { type: 'end' | 'abort' }>;

/** What a worker gets in a 'closes' message. */
export type TurnMessage = Extract<ToWorker, { type: 'data' | 'end' | 'abort' }>;

/** What one place (worker or main thread) made of a reload. */
export type PlaceReloadResult = { place: string } & (
  ({ ok: true } & RunnerReloadResult) | { ok: false; error: string }
);
