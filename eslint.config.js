// Lint rules that guard what review kept missing: floating promises (AUD-1 once relied on one),
// non-exhaustive switches over tagged unions, `as never` silencing SDK types, console output outside cli/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.toolchains/', 'node_modules/', 'schema/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Config files sit outside tsconfig.json's include; the default project type-checks them.
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TSAsExpression > TSNeverKeyword',
          message: '`as never` hides a type error: type the value properly.',
        },
      ],
      'no-console': 'error',
      // `async` without `await` is how SDK handlers and Transport methods turn a synchronous throw
      // into a rejection (failing closed); the rule would have them drop `async`.
      '@typescript-eslint/require-await': 'off',
      // Same convention as tsc's noUnusedLocals: a leading underscore marks a deliberate discard.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Sanitizers and printers match control characters on purpose (ANSI, C0/C1 stripping).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src/cli/**', 'scripts/**', 'bench/**', 'test/**', '**/*.test.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**', '**/*.test.ts'],
    // vitest types its asymmetric matchers (expect.stringContaining, expect.any, …) as `any`.
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
);
