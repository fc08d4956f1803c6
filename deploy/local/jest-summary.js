// Prints jest's result as the one closing line CI reads: "N passed, N failed[, N skipped]".
const path = process.argv[2];
let results;
try {
  results = require(require('node:path').resolve(path));
} catch {
  console.log('0 passed, 1 failed');
  console.error(`jest wrote no results to ${path}`);
  process.exit(0);
}
const failedSuites = results.numFailedTestSuites ?? 0;
const failed = results.numFailedTests + (failedSuites > 0 && results.numFailedTests === 0 ? failedSuites : 0);
const skipped = results.numPendingTests + results.numTodoTests;
console.log(`${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
