import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '.state/**',
      'libs/proto/src/gen/**',
      'libs/db/src/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read the environment only in config.ts (see STYLE.md 12).',
        },
      ],
    },
  },
  {
    // The pure core: no clock, no randomness, no I/O (STYLE.md 1 and 6).
    files: ['**/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', '../app/*', '../adapters/*', '@grpc/*', '@nats-io/*', 'pg'] },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time comes in the command metadata.' },
        { object: 'Math', property: 'random', message: 'Ids come in the command metadata.' },
      ],
    },
  },
  {
    // The orchestration layer: it reaches the world only through its ports (STYLE.md 1), so it imports no
    // adapter, no I/O module and no client library. Tests beside it may set up real peers.
    files: ['services/*/src/app/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '../adapters/*',
            '../../adapters/*',
            'node:dgram',
            'node:net',
            'node:http',
            'node:https',
            'node:fs',
            'node:fs/promises',
            'node:child_process',
            '@grpc/*',
            '@nats-io/*',
            'pg',
          ],
        },
      ],
    },
  },
  {
    files: [
      '**/config.ts',
      '**/prisma.config.ts',
      '**/src/main.ts',
      'libs/testing/**',
      '**/*.test.ts',
      '**/test/**/*.ts',
      'deploy/**/*.ts',
      'e2e/**/*.ts',
      'scripts/**/*',
      '**/bench/**/*.ts',
      '**/*.cjs',
      '**/*.js',
      '**/*.mjs',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/*.cjs', '**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
