// An OTLP/HTTP trace receiver for tests: what a collector's otlp receiver does with POST /v1/traces in
// protobuf, reduced to decoding the spans (opentelemetry-proto trace/v1 and collector/trace/v1 field
// numbers) and keeping them in memory. Only the fields the tests look at are read; others are skipped.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { BinaryReader, type WireType } from '@bufbuild/protobuf/wire';
import { waitFor } from './wait-for.js';

/** SpanKind as the protocol numbers it. */
export const OTLP_SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

export type OtlpValue = string | number | boolean | undefined;

export interface ReceivedSpan {
  /** service.name of the resource that exported it. */
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, OtlpValue>;
  links: Array<{ traceId: string; spanId: string }>;
  events: string[];
  /** Status code: 0 unset, 1 ok, 2 error. */
  status: number;
}

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  spans: ReceivedSpan[];
  /** Requests that could not be decoded (a test should expect none). */
  errors: string[];
  /** Waits until `pick` finds something in the spans received so far. */
  waitFor<T>(what: string, pick: (spans: ReceivedSpan[]) => T | undefined, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const errors: string[] = [];
  const server = createServer((request, response) => {
    void body(request).then(
      (bytes) => {
        if (request.method !== 'POST' || request.url !== '/v1/traces') {
          errors.push(`${request.method} ${request.url}`);
          response.writeHead(404).end();
          return;
        }
        try {
          spans.push(...decodeExportRequest(bytes));
        } catch (error) {
          errors.push(String(error));
          response.writeHead(400).end();
          return;
        }
        // An empty ExportTraceServiceResponse: everything accepted.
        response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      },
      (error: unknown) => {
        errors.push(String(error));
        response.writeHead(400).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    errors,
    waitFor: (what, pick, timeoutMs = 20_000) => waitFor(what, () => pick(spans), timeoutMs, 100),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function body(request: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Calls `field` for each field of the message in `bytes`; `field` skips what it does not read. */
function fields(bytes: Uint8Array, field: (no: number, wire: WireType, r: BinaryReader) => boolean): void {
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, wire] = r.tag();
    if (!field(no, wire, r)) r.skip(wire, no);
  }
}

/** ExportTraceServiceRequest: 1 resource_spans. */
export function decodeExportRequest(bytes: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  fields(bytes, (no, _wire, r) => {
    if (no !== 1) return false;
    decodeResourceSpans(r.bytes(), out);
    return true;
  });
  return out;
}

/** ResourceSpans: 1 resource (1 attributes), 2 scope_spans (2 spans). */
function decodeResourceSpans(bytes: Uint8Array, out: ReceivedSpan[]): void {
  let service = '';
  const scoped: Uint8Array[] = [];
  fields(bytes, (no, _wire, r) => {
    if (no === 1) {
      const attributes = attributesOf(r.bytes(), 1);
      service = String(attributes['service.name'] ?? '');
    } else if (no === 2) scoped.push(r.bytes());
    else return false;
    return true;
  });
  for (const scope of scoped)
    fields(scope, (no, _wire, r) => {
      if (no !== 2) return false;
      out.push(decodeSpan(r.bytes(), service));
      return true;
    });
}

/**
 * Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 9 attributes, 11 events (2 name),
 * 13 links (1 trace_id, 2 span_id), 15 status (3 code).
 */
function decodeSpan(bytes: Uint8Array, service: string): ReceivedSpan {
  const span: ReceivedSpan = {
    service,
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    attributes: {},
    links: [],
    events: [],
    status: 0,
  };
  const attributes: Uint8Array[] = [];
  fields(bytes, (no, _wire, r) => {
    switch (no) {
      case 1:
        span.traceId = hex(r.bytes());
        return true;
      case 2:
        span.spanId = hex(r.bytes());
        return true;
      case 4:
        span.parentSpanId = hex(r.bytes());
        return true;
      case 5:
        span.name = r.string();
        return true;
      case 6:
        span.kind = r.int32();
        return true;
      case 9:
        attributes.push(r.bytes());
        return true;
      case 11:
        fields(r.bytes(), (n, _w, e) => n === 2 && (span.events.push(e.string()), true));
        return true;
      case 13: {
        const link = { traceId: '', spanId: '' };
        fields(r.bytes(), (n, _w, l) => {
          if (n === 1) link.traceId = hex(l.bytes());
          else if (n === 2) link.spanId = hex(l.bytes());
          else return false;
          return true;
        });
        span.links.push(link);
        return true;
      }
      case 15:
        fields(r.bytes(), (n, _w, s) => n === 3 && ((span.status = s.int32()), true));
        return true;
      default:
        return false;
    }
  });
  for (const kv of attributes) Object.assign(span.attributes, keyValue(kv));
  return span;
}

/** The KeyValues at field `no` of a message. */
function attributesOf(bytes: Uint8Array, no: number): Record<string, OtlpValue> {
  const out: Record<string, OtlpValue> = {};
  fields(bytes, (n, _wire, r) => {
    if (n !== no) return false;
    Object.assign(out, keyValue(r.bytes()));
    return true;
  });
  return out;
}

/** KeyValue: 1 key, 2 value (AnyValue: 1 string, 2 bool, 3 int, 4 double; others left undefined). */
function keyValue(bytes: Uint8Array): Record<string, OtlpValue> {
  let key = '';
  let value: OtlpValue;
  fields(bytes, (no, _wire, r) => {
    if (no === 1) key = r.string();
    else if (no === 2)
      fields(r.bytes(), (n, _w, v) => {
        if (n === 1) value = v.string();
        else if (n === 2) value = v.bool();
        else if (n === 3) value = Number(v.int64());
        else if (n === 4) value = v.double();
        else return false;
        return true;
      });
    else return false;
    return true;
  });
  return { [key]: value };
}
