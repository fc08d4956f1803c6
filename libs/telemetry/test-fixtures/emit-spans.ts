// Run by spans.int.test.ts in a process of its own (the OTLP/HTTP exporter loads node:http with a dynamic
// import, which jest's module sandbox refuses): starts the SDK exporting to the URL given as first argument,
// makes a command span under the caller's traceparent (second argument), a publish under it and the handling of that message
// (which fails), then shuts down, which flushes the spans.
import { ATTR, consumerSpan, producerSpan } from '../src/span-specs';
import { inSpan, spansEnabled } from '../src/spans';
import { startTelemetry } from '../src/sdk';
import { runInTrace, workTraceparent } from '../src/work-trace';

async function main(endpoint: string, caller: string): Promise<void> {
  const telemetry = startTelemetry({ serviceName: 'spans-test', exporter: 'otlp', otlpEndpoint: endpoint });
  if (!spansEnabled()) throw new Error('spans are off with an SDK running');
  let published: string | undefined;
  await runInTrace(caller, () =>
    inSpan(
      () => ({ name: 'command CreateCall', attributes: { [ATTR.callId]: 'c1' } }),
      () =>
        inSpan(
          () => producerSpan({ destination: 'facts.sip.c1', template: 'facts.sip.*', messageId: 'f1' }),
          async () => {
            published = workTraceparent();
          },
        ),
    ),
  );
  await inSpan(
    () =>
      consumerSpan({
        destination: 'facts.sip.c1',
        template: 'facts.sip.*',
        messageId: 'f1',
        producer: published,
      }),
    () => Promise.reject(new Error('refused')),
  ).catch(() => undefined);
  await telemetry.shutdown();
  if (spansEnabled()) throw new Error('spans still on after shutdown');
}

if (require.main === module)
  main(process.argv[2]!, process.argv[3]!).catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
