// One jest config for the whole monorepo. Workspace libs are imported from source (no build before
// jest); type errors are caught by `tsc -b`, which `make test` runs first.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/e2e', '<rootDir>/deploy'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@callctl/([^/]+)$': '<rootDir>/libs/$1/src',
    // A package's extra entry point (`@callctl/errors/grpc`) is the same-named module in its src.
    '^@callctl/([^/]+)/([^/]+)$': '<rootDir>/libs/$1/src/$2',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
        module: { type: 'commonjs' },
      },
    ],
  },
  testTimeout: 30000,
};
