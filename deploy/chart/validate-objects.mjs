// Validates Kubernetes objects against the Kubernetes OpenAPI schema with kubernetes-models (an ES module,
// so it runs in its own node process rather than under jest). Reads a JSON array of objects on stdin,
// prints a JSON array of { kind, name, error } for the invalid ones (and for kinds it has no model of).
import { readFileSync } from 'node:fs';
import process from 'node:process';

const objects = JSON.parse(readFileSync(0, 'utf8'));
const problems = [];
for (const object of objects) {
  const name = object?.metadata?.name;
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const module = ['kubernetes-models', group, version, object.kind].filter(Boolean).join('/');
  let Model;
  try {
    Model = (await import(module))[object.kind];
  } catch (error) {
    problems.push({ kind: object.kind, name, error: `no model ${module}: ${error.message}` });
    continue;
  }
  try {
    new Model(object).validate();
  } catch (error) {
    problems.push({ kind: object.kind, name, error: error.message });
  }
}
process.stdout.write(JSON.stringify(problems));
