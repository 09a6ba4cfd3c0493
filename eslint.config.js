// ESLint for the whole tree (`npm run lint` runs it with `prettier --check`; .ci/run runs that).
// Formatting is prettier's job (.prettierrc.json); this file holds the checks prettier cannot make:
// typescript-eslint's type-aware recommended set, no line over 140 characters (prettier leaves long
// strings and comments alone), and the layering of src/ that README and docs/architecture.md describe.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The layering of src/: each folder, the folders it must not import, and why (the why is the lint message).
 * The request path runs http (the edge, which parses with src/hooks) → pipeline → context, facts, rules,
 * cards, and types flow knowledge → facts → rules → cards; src/hooks (service catalogue, request schemas)
 * is a leaf. A folder that does not exist yet matches nothing, so an entry can be written before the code moves.
 * `mayImport` names single files a forbidden folder still lends the layer.
 * To change the layering, change this table; the rules below are built from it.
 */
const layers = [
  {
    folder: 'src/knowledge',
    // src/hooks is allowed: rule files name services, and the loader checks them against its catalogue.
    mustNotImport: ['src/facts', 'src/rules', 'src/cards', 'src/context', 'src/pipeline', 'src/http'],
    why: 'knowledge schemas come first: types flow knowledge → facts → rules → cards, never back',
  },
  {
    folder: 'src/facts',
    mustNotImport: ['src/rules', 'src/cards', 'src/context', 'src/pipeline', 'src/hooks', 'src/http'],
    why: 'facts are pure functions of a fetched record: they neither fetch, nor decide, nor render',
  },
  {
    folder: 'src/rules',
    mustNotImport: ['src/cards', 'src/context', 'src/pipeline', 'src/hooks', 'src/http'],
    why: 'rules are the engine and precedence only: the pipeline builds the facts they read and renders the cards',
  },
  {
    folder: 'src/cards',
    mustNotImport: ['src/context', 'src/pipeline', 'src/hooks', 'src/http'],
    why: 'cards are rendering only: they fetch nothing and know nothing of HTTP',
  },
  {
    folder: 'src/context',
    mustNotImport: ['src/rules', 'src/cards', 'src/pipeline', 'src/hooks', 'src/http'],
    // The failures are the pipeline's vocabulary (a leaf module); its stages throw them, src/http maps them.
    mayImport: ['src/pipeline/errors.ts'],
    why: 'context fetches the record and reports failures as domain errors; only src/http maps them to statuses',
  },
  {
    folder: 'src/pipeline',
    // src/hooks is allowed: its catalogue and request schema are the pipeline's input types.
    mustNotImport: ['src/http'],
    why: 'the pipeline returns a result or a typed domain error; only src/http turns errors into statuses',
  },
  {
    folder: 'src/hooks',
    // A leaf, so the pipeline and the loader can read the catalogue and the request types without a cycle.
    mustNotImport: ['src/http', 'src/pipeline', 'src/context', 'src/facts', 'src/rules', 'src/cards', 'src/knowledge'],
    why: 'src/hooks is the service catalogue and the request schemas: the stages read it, it reads none of them',
  },
];

/** Folders whose value imports rules must not make: rules read facts' types, the pipeline calls the fact builders. */
const typeOnlyImports = [{ folder: 'src/rules', mayOnlyTypeImport: ['facts'], why: 'rules read facts, the pipeline builds them' }];

const restrictedZones = [
  // One zone per forbidden folder, so a `mayImport` file inside it can be that zone's exception.
  ...layers.flatMap(({ folder, mustNotImport, mayImport = [], why }) =>
    mustNotImport.map((from) => ({
      target: folder,
      from,
      except: mayImport.filter((file) => file.startsWith(`${from}/`)).map((file) => `./${file.slice(from.length + 1)}`),
      message: why,
    })),
  ),
  {
    target: 'src',
    from: 'test',
    message: 'production code does not read test code or fixtures',
  },
  {
    target: ['src/!(cli)/**', 'src/*.ts'],
    from: 'src/cli',
    message: 'the CLI uses src/, never the other way round',
  },
  {
    // src/main.ts may import the demo, lazily (checked below); the CLI and test tooling may use it freely.
    target: ['src/!(cli|demo|preview)/**', 'src/!(main).ts'],
    from: 'src/demo',
    message: 'the demo is started by src/main.ts alone, and lazily (its packages are not in the production image)',
  },
  {
    // The preview page (demo profile) runs the scenario patients; src/demo/scenarios imports no Medplum package.
    target: 'src/preview',
    from: 'src/demo',
    except: ['./scenarios'],
    message: 'the preview page may run the scenarios, but never starts the demo FHIR server (Medplum is not in the production image)',
  },
];

export default defineConfig(
  {
    ignores: ['dist/', 'data/', 'bench-results/', 'test-results/', '.test-build/', 'coverage/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `_name` marks a value left unused on purpose (a property dropped from a rest copy, a parameter a signature needs).
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
    },
  },
  {
    // Plain JavaScript (bin/, the config files, the preview page's script) is outside tsconfig.json.
    files: ['**/*.{js,mjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['src/preview/public/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: restrictedZones }],
      // No import cycle through value imports (the rule skips `import type`; docs/architecture.md gives the madge check for those).
      'import-x/no-cycle': ['error', { allowUnsafeDynamicCyclicDependency: false }],
    },
  },
  typeOnlyImports.map(({ folder, mayOnlyTypeImport, why }) => ({
    files: [`${folder}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: mayOnlyTypeImport.map((f) => ({
            group: [`../${f}/*`, `../../${f}/*`],
            allowTypeImports: true,
            message: `${folder} may import only types from src/${f}: ${why}`,
          })),
        },
      ],
    },
  })),
  {
    files: ['src/main.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[importKind!='type'][source.value=/\\/demo\\//]",
          message: 'import the demo lazily, with import(): its packages are not in the production image',
        },
      ],
    },
  },
  prettier,
  {
    // After eslint-config-prettier, which turns line length off: prettier wraps code at 140 but leaves
    // comments, strings and template literals as written, so this rule catches those.
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': ['error', { code: 140, tabWidth: 2 }],
    },
  },
  {
    // @types/jest types the asymmetric matchers (expect.any, expect.stringMatching, expect.objectContaining) as `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
);
