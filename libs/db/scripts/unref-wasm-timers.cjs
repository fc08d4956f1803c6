// Preloaded into the Prisma CLI: its wasm schema engine arms 10 s timers that it never clears, so the CLI
// lingers ~10 s after its work is done. Unref'ing those timers lets it exit as soon as it is finished.
const originalSetTimeout = global.setTimeout;
global.setTimeout = function (fn, ms, ...args) {
  const timer = originalSetTimeout(fn, ms, ...args);
  if (ms >= 5000 && /wasm-function/.test(new Error().stack || '')) timer.unref();
  return timer;
};
