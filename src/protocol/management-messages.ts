/**
 * The low-volume messages (info, init, keepalive, snapshot, restore, error) go through
 * protobufjs. This module is the only place that sees its message objects and `Long`s.
 */
import type protobuf from 'protobufjs';
import { ProtocolError } from './errors.js';
import { highBits, int64FromBits, INT64_MAX, INT64_MIN, lowBits, splitInt64 } from './int64-bits.js';
import { udfSchema } from './schema.js';
import type { EdgeType, InitOption, OptionInfo, OptionValue, Request, Response, ValueType } from './types.js';
import { WireFormatError } from './wire-reader.js';

type Decoded = Record<string, unknown>;
interface LongLike {
  low: number;
  high: number;
}

const EDGE_TYPES: readonly EdgeType[] = ['stream', 'batch'];
const VALUE_TYPES: readonly ValueType[] = ['bool', 'int', 'double', 'string', 'duration'];

function edgeTypeFrom(n: unknown, field: string): EdgeType {
  const e = EDGE_TYPES[n as number];
  if (e === undefined) throw new WireFormatError(`${field} has unknown EdgeType ${String(n)}`);
  return e;
}

function valueTypeFrom(n: unknown, field: string): ValueType {
  const v = VALUE_TYPES[n as number];
  if (v === undefined) throw new WireFormatError(`${field} has unknown ValueType ${String(n)}`);
  return v;
}

function bigintFrom(v: unknown): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'bigint') return v;
  const l = v as LongLike;
  return int64FromBits(l.low >>> 0, l.high >>> 0);
}

function longFrom(v: bigint): LongLike & { unsigned: false } {
  if (v > INT64_MAX || v < INT64_MIN) {
    throw new ProtocolError('KUDF_PROTO_UNENCODABLE', `int64 value ${v} is outside the int64 range`);
  }
  splitInt64(v);
  return { low: lowBits() | 0, high: highBits() | 0, unsigned: false };
}

function decodeWith(type: protobuf.Type, body: Uint8Array): Decoded {
  try {
    return type.decode(body) as unknown as Decoded;
  } catch (cause) {
    throw new WireFormatError(`${type.name}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

function encodeWith(type: protobuf.Type, value: Decoded): Uint8Array {
  return type.encode(value).finish();
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function copyBytes(v: unknown): Uint8Array {
  // protobufjs hands out views of the input, which is a frame view we must not keep.
  return v instanceof Uint8Array ? new Uint8Array(v) : new Uint8Array(0);
}

function optionValueFrom(m: Decoded, field: string): OptionValue {
  const type = valueTypeFrom(m['type'] ?? 0, `${field}.type`);
  // `type` decides which member counts, as in Kapacitor's own agent; a missing member reads as its default.
  switch (type) {
    case 'bool':
      return { type, value: m['boolValue'] === true };
    case 'int':
      return { type, value: bigintFrom(m['intValue'] ?? 0) };
    case 'double':
      return { type, value: typeof m['doubleValue'] === 'number' ? m['doubleValue'] : 0 };
    case 'string':
      return { type, value: str(m['stringValue']) };
    case 'duration':
      return { type, value: bigintFrom(m['durationValue'] ?? 0) };
  }
}

function optionValueTo(v: OptionValue): Decoded {
  const type = VALUE_TYPES.indexOf(v.type);
  switch (v.type) {
    case 'bool':
      return { type, boolValue: Boolean(v.value) };
    case 'int':
      return { type, intValue: longFrom(BigInt(v.value)) };
    case 'double':
      return { type, doubleValue: Number(v.value) };
    case 'string':
      return { type, stringValue: String(v.value) };
    case 'duration':
      return { type, durationValue: longFrom(BigInt(v.value)) };
  }
}

// ---- Requests ---------------------------------------------------------------------------------

export type ManagementRequest = Extract<Request, { kind: 'info' | 'init' | 'keepalive' | 'snapshot' | 'restore' }>;
export type ManagementResponse = Extract<
  Response,
  { kind: 'info' | 'init' | 'keepalive' | 'snapshot' | 'restore' | 'error' }
>;

/** Decodes the payload of Request member 1..5. */
export function decodeManagementRequest(member: number, body: Uint8Array): ManagementRequest {
  const s = udfSchema();
  switch (member) {
    case 1:
      decodeWith(s.InfoRequest, body);
      return { kind: 'info' };
    case 2: {
      const m = decodeWith(s.InitRequest, body);
      const options: InitOption[] = ((m['options'] as Decoded[] | undefined) ?? []).map((o, i) => ({
        name: str(o['name']),
        values: ((o['values'] as Decoded[] | undefined) ?? []).map((v, j) =>
          optionValueFrom(v, `InitRequest.options[${i}].values[${j}]`),
        ),
      }));
      return { kind: 'init', options, taskID: str(m['taskID']), nodeID: str(m['nodeID']) };
    }
    case 3:
      return { kind: 'keepalive', time: bigintFrom(decodeWith(s.KeepaliveRequest, body)['time'] ?? 0) };
    case 4:
      decodeWith(s.SnapshotRequest, body);
      return { kind: 'snapshot' };
    default:
      return { kind: 'restore', snapshot: copyBytes(decodeWith(s.RestoreRequest, body)['snapshot']) };
  }
}

/** Encodes a management Request's member payload; returns `[member number, payload]`. */
export function encodeManagementRequest(r: ManagementRequest): [number, Uint8Array] {
  const s = udfSchema();
  switch (r.kind) {
    case 'info':
      return [1, encodeWith(s.InfoRequest, {})];
    case 'init':
      return [
        2,
        encodeWith(s.InitRequest, {
          options: r.options.map((o) => ({ name: o.name, values: o.values.map(optionValueTo) })),
          taskID: r.taskID,
          nodeID: r.nodeID,
        }),
      ];
    case 'keepalive':
      return [3, encodeWith(s.KeepaliveRequest, { time: longFrom(r.time) })];
    case 'snapshot':
      return [4, encodeWith(s.SnapshotRequest, {})];
    case 'restore':
      return [5, encodeWith(s.RestoreRequest, { snapshot: r.snapshot })];
  }
}

// ---- Responses --------------------------------------------------------------------------------

/** Decodes the payload of Response member 1..6. */
export function decodeManagementResponse(member: number, body: Uint8Array): ManagementResponse {
  const s = udfSchema();
  switch (member) {
    case 1: {
      const m = decodeWith(s.InfoResponse, body);
      const options: Record<string, OptionInfo> = Object.create(null) as Record<string, OptionInfo>;
      const decoded = (m['options'] as Record<string, Decoded> | undefined) ?? {};
      for (const name of Object.keys(decoded)) {
        const info = decoded[name] as Decoded;
        options[name] = {
          valueTypes: ((info['valueTypes'] as unknown[] | undefined) ?? []).map((v) =>
            valueTypeFrom(v, `InfoResponse.options[${JSON.stringify(name)}]`),
          ),
        };
      }
      return {
        kind: 'info',
        wants: edgeTypeFrom(m['wants'] ?? 0, 'InfoResponse.wants'),
        provides: edgeTypeFrom(m['provides'] ?? 0, 'InfoResponse.provides'),
        options,
      };
    }
    case 2: {
      const m = decodeWith(s.InitResponse, body);
      return { kind: 'init', success: m['success'] === true, error: str(m['error']) };
    }
    case 3:
      return { kind: 'keepalive', time: bigintFrom(decodeWith(s.KeepaliveResponse, body)['time'] ?? 0) };
    case 4:
      return { kind: 'snapshot', snapshot: copyBytes(decodeWith(s.SnapshotResponse, body)['snapshot']) };
    case 5: {
      const m = decodeWith(s.RestoreResponse, body);
      return { kind: 'restore', success: m['success'] === true, error: str(m['error']) };
    }
    default:
      return { kind: 'error', error: str(decodeWith(s.ErrorResponse, body)['error']) };
  }
}

/** Encodes a management Response's member payload; returns `[member number, payload]`. */
export function encodeManagementResponse(r: ManagementResponse): [number, Uint8Array] {
  const s = udfSchema();
  switch (r.kind) {
    case 'info': {
      const options: Record<string, Decoded> = {};
      for (const name of Object.keys(r.options)) {
        const info = r.options[name] as OptionInfo;
        const valueTypes = info.valueTypes.map((t) => {
          const n = VALUE_TYPES.indexOf(t);
          if (n < 0)
            throw new ProtocolError(
              'KUDF_PROTO_UNENCODABLE',
              `option ${JSON.stringify(name)} has unknown value type ${String(t)}`,
            );
          return n;
        });
        // defineProperty: a plain assignment of `__proto__` would set the prototype instead.
        Object.defineProperty(options, name, {
          value: { valueTypes },
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return [
        1,
        encodeWith(s.InfoResponse, { wants: edgeTypeIndex(r.wants), provides: edgeTypeIndex(r.provides), options }),
      ];
    }
    case 'init':
      return [2, encodeWith(s.InitResponse, { success: r.success, error: r.error })];
    case 'keepalive':
      return [3, encodeWith(s.KeepaliveResponse, { time: longFrom(r.time) })];
    case 'snapshot':
      return [4, encodeWith(s.SnapshotResponse, { snapshot: r.snapshot })];
    case 'restore':
      return [5, encodeWith(s.RestoreResponse, { success: r.success, error: r.error })];
    case 'error':
      return [6, encodeWith(s.ErrorResponse, { error: r.error })];
  }
}

function edgeTypeIndex(e: EdgeType): number {
  const n = EDGE_TYPES.indexOf(e);
  if (n < 0) throw new ProtocolError('KUDF_PROTO_UNENCODABLE', `unknown edge type ${String(e)}`);
  return n;
}
