import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'dist/', 'src/db/migrations/Migration*'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no activity
    // implementations (only `import type`), no I/O modules.
    files: ['src/workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow/domain code must stay deterministic: no Node built-ins.' })),
          patterns: [
            { group: ['**/activities/*', '**/activities', '!**/activities/types*'], allowTypeImports: true, message: 'Workflows may only `import type` activities.' },
            { group: ['**/db/*', '**/channels/*', '**/api/*', '@mikro-orm/*', 'nodemailer', 'twilio', 'pino'], message: 'No I/O modules in workflow/domain code.' },
          ],
        },
      ],
    },
  },
);
