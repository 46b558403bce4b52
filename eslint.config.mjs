// ESLint flat config: typescript-eslint's recommended rules for src/ and test/,
// and the same rules for the Node.js helper scripts in scripts/ and bench/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeScriptGlobals = {
  __dirname: 'readonly',
  __filename: 'readonly',
  Buffer: 'readonly',
  clearInterval: 'readonly',
  clearTimeout: 'readonly',
  console: 'readonly',
  performance: 'readonly',
  setImmediate: 'readonly',
  setInterval: 'readonly',
  setTimeout: 'readonly',
  module: 'writable',
  process: 'readonly',
  require: 'readonly',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The server logs through pino, and console output would bypass its levels and format.
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['scripts/**/*.js', 'bench/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: nodeScriptGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
