// ESLint flat config: typescript-eslint's recommended type-checked rules for every TypeScript file.
// No stylistic rules: Prettier owns the layout (`npx prettier --write .`, checked by `npm run format:check`).
// Every rule turned off below says why on its own line.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    // Dependencies, what the tools write (tsc's outDir, renders, profiles, Pulumi state) and the examples.
    ignores: ["node_modules/", "bin/", "out/", "render-out/", "profiles/", "examples/", ".pulumi/", ".pulumi-state/", ".cache/"],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore marks a parameter or binding that is unused on purpose (interface methods, `{ secret: _, ...rest }`).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "@typescript-eslint/no-floating-promises": [
        "error",
        {
          allowForKnownSafeCalls: [
            // node:test's test()/describe()/it() return promises the runner itself awaits and reports.
            { from: "package", package: "node:test", name: ["test", "describe", "it", "suite"] },
            // pulumi.log.* is fire-and-forget by design: the engine receives the message; nothing to await.
            { from: "package", package: "@pulumi/pulumi", name: ["debug", "info", "warn", "error"] },
          ],
        },
      ],
      // A `let` that a closure reads before its one assignment (a timer that done() clears, a world shutdown() stops) stays `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
      // Grouped empty cases may have a comment between them (test/lib/server.ts); an empty case never falls through by accident.
      "no-fallthrough": ["error", { allowEmptyCase: true }],
      // require() is deliberate: lazy loads inside Pulumi dynamic providers (their closures are serialized) and plist's ESM fallback.
      "@typescript-eslint/no-require-imports": "off",
      // `async` is kept where an interface wants a Promise (dynamic providers, test doubles): it also turns a throw into a rejection.
      "@typescript-eslint/require-await": "off",
      // Matching control characters is the point of those regexes (config checks, escaping of CLI output).
      "no-control-regex": "off",
      // Errors are rethrown with one-line, user-facing messages that already quote the cause; adding `cause` would change what Node prints.
      "preserve-caught-error": "off",
      // String(v) is reached only after objects were handled; TypeScript narrows an `unknown` to `{}` there, which the rule takes for an object.
      "@typescript-eslint/no-base-to-string": "off",
    },
  },
  {
    files: ["test/**/*.ts"],
    rules: {
      // Tests take apart parsed JSON/YAML/plist documents, mocked Pulumi resource inputs and API doubles' bodies: untyped by nature.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Assertion messages interpolate whatever they got (arrays, unions, errors) to show it on failure.
      "@typescript-eslint/restrict-template-expressions": "off",
      // Tests save a method (process.stderr.write, Socket.prototype.connect) to stub it and put the same function back.
      "@typescript-eslint/unbound-method": "off",
      // Expected-output regexes spell the indentation they check literally ("\n  - vpn:compat").
      "no-regex-spaces": "off",
    },
  },
  {
    // Plain JavaScript (scripts/run-tests.js, this file): no TypeScript project to type-check against.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
);
