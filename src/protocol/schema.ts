/**
 * The protobufjs view of `proto/udf.proto`, used for the management messages only.
 * The schema is read once, on first use, from the repository's `proto/` directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { ProtocolError } from './errors.js';

// This module runs from src/protocol/ (tsx) or dist/src/protocol/ (after tsc); proto/
// sits at the repository root in both cases.
const CANDIDATES = ['../../proto/udf.proto', '../../../proto/udf.proto'];

export interface UdfSchema {
  InfoRequest: protobuf.Type;
  InfoResponse: protobuf.Type;
  InitRequest: protobuf.Type;
  InitResponse: protobuf.Type;
  KeepaliveRequest: protobuf.Type;
  KeepaliveResponse: protobuf.Type;
  SnapshotRequest: protobuf.Type;
  SnapshotResponse: protobuf.Type;
  RestoreRequest: protobuf.Type;
  RestoreResponse: protobuf.Type;
  ErrorResponse: protobuf.Type;
  /** The whole package, for tests that need an independent reference encoder. */
  root: protobuf.Root;
}

let cached: UdfSchema | undefined;

/** Absolute path of `proto/udf.proto`; throws `ProtocolError` `KUDF_PROTO_SCHEMA` when missing. */
export function udfProtoPath(): string {
  for (const rel of CANDIDATES) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new ProtocolError(
    'KUDF_PROTO_SCHEMA',
    `proto/udf.proto not found relative to ${fileURLToPath(import.meta.url)}`,
  );
}

/** The parsed schema (memoised). Throws `ProtocolError` `KUDF_PROTO_SCHEMA` if it cannot be loaded. */
export function udfSchema(): UdfSchema {
  if (cached) return cached;
  const path = udfProtoPath();
  // Required on first use, not imported: a host nobody has connected to yet (and every CLI
  // command but the protocol's users) does without protobufjs and its ~2 MiB.
  const pb = createRequire(import.meta.url)('protobufjs') as typeof protobuf;
  let root: protobuf.Root;
  try {
    // keepCase: the schema's field names (taskID, valueTypes) are the property names.
    root = pb.parse(readFileSync(path, 'utf8'), { keepCase: true }).root;
    root.resolveAll();
  } catch (cause) {
    throw new ProtocolError('KUDF_PROTO_SCHEMA', `cannot load ${path}: ${String(cause)}`, { cause });
  }
  const t = (name: string): protobuf.Type => root.lookupType(`agent.${name}`);
  cached = {
    InfoRequest: t('InfoRequest'),
    InfoResponse: t('InfoResponse'),
    InitRequest: t('InitRequest'),
    InitResponse: t('InitResponse'),
    KeepaliveRequest: t('KeepaliveRequest'),
    KeepaliveResponse: t('KeepaliveResponse'),
    SnapshotRequest: t('SnapshotRequest'),
    SnapshotResponse: t('SnapshotResponse'),
    RestoreRequest: t('RestoreRequest'),
    RestoreResponse: t('RestoreResponse'),
    ErrorResponse: t('ErrorResponse'),
    root,
  };
  return cached;
}
