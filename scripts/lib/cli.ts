// One way for every command (npm run render | profiles | status) to start and to fail.
// The same help layout (usage line first, options, exit statuses), the same option
// syntax (--name value or --name=value), every error line prefixed with the command's
// name, one line per error (control characters escaped, so a hostile file or region
// name cannot forge or hide a line; never a stack trace), and the same exit statuses:
//   0  done (status: and every region is healthy)
//   1  the command ran and failed: an invalid configuration, the Pulumi CLI missing or
//      failing, a region not healthy (status), or an unexpected error
//   2  a usage error: an unknown option, a missing value, no arguments at all, or a
//      file, stack or region that does not exist
// DEBUG=1 adds the stack trace of an unexpected error; a user error never needs one.

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** The caller's mistake (arguments, a named file, stack or region): one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface OptionSpec {
  /** "--config" */
  flag: string;
  /** "<file.yaml>"; absent for a flag without a value (--json). */
  value?: string;
  text: string;
  required?: boolean;
  /** Accepted but not in the help (test hooks). */
  hidden?: boolean;
}

/** A word in place, not an option: `npm run users -- rotate <user>`. */
export interface OperandSpec {
  /** The key it is returned under; "<user>" in messages. */
  name: string;
  text: string;
  /** May be left out (only after the required ones). */
  optional?: boolean;
}

export interface CommandSpec {
  /** The npm script name, also the error prefix: render, profiles, status. */
  name: string;
  /** Arguments after `npm run <name> --`. */
  synopsis: string;
  /** What the command does, as paragraphs of the help. */
  about: string;
  options: OptionSpec[];
  /** Words in place, in order, before or between the options; none unless given. */
  operands?: OperandSpec[];
  /** What exit status 0 and 1 mean for this command. */
  exitOk: string;
  exitFailed: string;
}

export function usageLine(spec: CommandSpec): string {
  return `usage: npm run ${spec.name} -- ${spec.synopsis}`;
}

export function helpText(spec: CommandSpec): string {
  const operands = (spec.operands ?? []).map((o): OptionSpec => ({ flag: `<${o.name}>`, text: o.text }));
  const shown = [...operands, ...spec.options.filter((o) => !o.hidden), { flag: "--help", text: "this text" } as OptionSpec];
  const heads = shown.map((o) => (o.value ? `${o.flag} ${o.value}` : o.flag));
  const width = Math.max(...heads.map((h) => h.length));
  return [
    usageLine(spec),
    "",
    spec.about,
    "",
    ...shown.map((o, i) => `  ${heads[i].padEnd(width)}  ${o.text}`),
    "",
    "Exit status:",
    `  0  ${spec.exitOk}`,
    `  1  ${spec.exitFailed}`,
    "  2  a usage error: an unknown option, a missing value, no arguments, or a file, stack or region that does not exist",
    "",
  ].join("\n");
}

/** Escapes what would break a line or drive a terminal, so one error stays one line. */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => ({ "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** --name value / --name=value / --flag, each at most once; unknown options and stray words are usage errors. */
export function parseOptions(spec: CommandSpec, argv: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  const operands = [...(spec.operands ?? [])];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") && operands.length > 0) {
      out[operands.shift()!.name] = arg;
      continue;
    }
    const m = /^(--[A-Za-z][A-Za-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg);
    const opt = m ? spec.options.find((o) => o.flag === m[1]) : undefined;
    if (!m || !opt) throw new UsageError(arg.startsWith("-") ? `unknown option ${arg}` : `unexpected argument ${arg}`);
    const name = opt.flag.slice(2);
    if (name in out) throw new UsageError(`${opt.flag} is given twice`);
    if (!opt.value) {
      if (m[2] !== undefined) throw new UsageError(`${opt.flag} takes no value`);
      out[name] = true;
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined || value === "" || value.startsWith("--")) throw new UsageError(`${opt.flag} needs a value (${opt.flag} ${opt.value})`);
    out[name] = value;
  }
  const missing = operands.find((o) => !o.optional);
  if (missing) throw new UsageError(`<${missing.name}> is missing (${usageLine(spec)})`);
  for (const o of spec.options) if (o.required && !(o.flag.slice(2) in out)) throw new UsageError(`${o.flag} is required (${usageLine(spec)})`);
  return out;
}

/** Errors that list several problems (ConfigError, the render: map): one line each. */
function problemsOf(err: unknown): string[] | undefined {
  const p = (err as { problems?: unknown } | null)?.problems;
  return Array.isArray(p) && p.length > 0 && p.every((x) => typeof x === "string") ? p : undefined;
}

/** Prints an error the shared way and returns its exit status. */
export function reportError(spec: CommandSpec, err: unknown): number {
  const say = (line: string) => process.stderr.write(`${spec.name}: ${oneLine(line)}\n`);
  const problems = problemsOf(err);
  if (problems) {
    problems.forEach(say);
    return EXIT_FAILED;
  }
  if (err instanceof UsageError) {
    say(err.message);
    return EXIT_USAGE;
  }
  const message = err instanceof Error ? err.message : String(err);
  // Our own messages are one line; a library's first line is its summary.
  say(message.split("\n").find((l) => l.trim() !== "") ?? (err instanceof Error ? err.name : "failed"));
  if (process.env.DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT_FAILED;
}

/**
 * Runs a command's main: --help/-h prints the help (exit 0), no arguments prints the
 * usage line (exit 2), otherwise the options are parsed and main's exit status is used;
 * whatever it throws is reported by reportError.
 */
export function runCli(spec: CommandSpec, main: (opts: Record<string, string | true>) => number | void | Promise<number | void>): void {
  const argv = process.argv.slice(2);
  const exit = (code: number) => {
    process.exitCode = code;
    process.exit(code);
  };
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(helpText(spec));
    return exit(EXIT_OK);
  }
  if (argv.length === 0) {
    process.stderr.write(`${spec.name}: ${usageLine(spec)} (npm run ${spec.name} -- --help for more)\n`);
    return exit(EXIT_USAGE);
  }
  Promise.resolve()
    .then(() => main(parseOptions(spec, argv)))
    .then(
      (code) => exit(code ?? EXIT_OK),
      (err) => exit(reportError(spec, err)),
    );
}
