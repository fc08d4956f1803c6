// What the services under a benchmark complained about during a step: their warn and error log lines since a
// mark, the most frequent messages per service, for the line that says why a step failed.
import type { ServiceProcess } from '../support/services.js';

/** What startProcess (libs/testing) keeps of a child's output. */
const LOG_KEPT_BYTES = 4 * 1024 * 1024;

/** Warnings and errors the platform's services logged since `marks` was taken, per service. */
export function serviceComplaints(services: ServiceProcess[], marks: number[]): string {
  return services
    .map((service, i) => {
      const lines = service
        .output()
        .slice(marks[i])
        .split('\n')
        .filter((line) => /"level":"(warn|error|fatal)"/.test(line));
      // The process fixture keeps the first 4 MiB of a service's output: past that, nothing is seen.
      const capped =
        service.output().length >= LOG_KEPT_BYTES
          ? ` (its log is past the ${LOG_KEPT_BYTES} bytes kept)`
          : '';
      if (lines.length === 0) return capped ? `\n      ${service.name}: nothing new${capped}` : '';
      const messages = new Map<string, number>();
      for (const line of lines) {
        const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 120);
        messages.set(msg, (messages.get(msg) ?? 0) + 1);
      }
      const top = [...messages]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([msg, n]) => `${n}x "${msg}"`)
        .join(', ');
      return `\n      ${service.name}: ${lines.length} warn/error lines: ${top}${capped}`;
    })
    .join('');
}
