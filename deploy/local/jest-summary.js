// Prints jest's results as the one closing line CI reads: "N passed, N failed[, N skipped]", summed over
// every results file given (make test runs jest in two phases).
const { resolve } = require('node:path');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const path of process.argv.slice(2)) {
  let results;
  try {
    results = require(resolve(path));
  } catch {
    failed += 1;
    console.error(`jest wrote no results to ${path}`);
    continue;
  }
  const failedSuites = results.numFailedTestSuites ?? 0;
  passed += results.numPassedTests;
  failed += results.numFailedTests + (failedSuites > 0 && results.numFailedTests === 0 ? failedSuites : 0);
  skipped += results.numPendingTests + results.numTodoTests;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
