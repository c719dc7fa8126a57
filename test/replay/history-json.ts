/**
 * History ⇄ proto JSON (the form of the Web UI's and the CLI's history exports), for the replay
 * fixtures. Not the SDK's `historyToJSON` / `historyFromJSON`: this install carries two copies
 * of protobufjs (nested under @temporalio/common and @temporalio/proto, because the root holds
 * an older major), and mixing them fails with "type must be a Type". Serializing with the copy
 * that built @temporalio/proto's types avoids it.
 */
import { createRequire } from 'node:module';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type History = proto.temporal.api.history.v1.IHistory;
interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const protoJson = createRequire(require.resolve('@temporalio/proto'))('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): unknown {
  return protoJson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history));
}

export function historyFromJson(json: unknown): History {
  // Tolerates fields a newer server may add, like the SDK's own reader.
  const history = protoJson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history?.events?.length) throw new TypeError('not a workflow history');
  return history;
}
