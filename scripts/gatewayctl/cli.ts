/**
 * The command line, read strictly: the command, then only the options and arguments it takes. Anything
 * else is a UsageError (one line; main prints it with the usage and exits 2), never a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  COMMANDS,
  type CommandName,
  type CommandSpec,
  isCommand,
  OPTIONS,
  type OptionName,
} from './commands.ts';

/** A mistake in the command line: exit 2 with the usage of `command` (or the whole usage). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

export interface CommandLine {
  command: CommandName;
  positionals: string[];
  values: Partial<Record<OptionName, string | boolean>>;
}

const optionsFor = (names: readonly OptionName[]): NonNullable<ParseArgsConfig['options']> =>
  Object.fromEntries(
    names.map((n) => {
      const { type, short } = OPTIONS[n];
      return [n, short ? { type, short } : { type }];
    }),
  );
const ALL = Object.keys(OPTIONS) as OptionName[];

/** Parses argv (without node and the script); `gatewayctl` alone and `--help` alone mean `help`. */
export function parseCommandLine(argv: string[]): CommandLine {
  // First pass, lenient, knowing every option: only to find the command among the words.
  const loose = parseArgs({ args: argv, options: optionsFor(ALL), allowPositionals: true, strict: false });
  const [first] = loose.positionals;
  const name = first ?? 'help';
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}"`);
  const spec: CommandSpec = COMMANDS[name];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: optionsFor(spec.options),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(err, name), name);
  }
  const positionals = parsed.positionals.slice(first === undefined ? 0 : 1);
  const [min, max] = spec.arity;
  if (positionals.length < min) throw new UsageError(`${name} needs ${spec.args}`, name);
  if (positionals.length > max) throw new UsageError(`${name} takes no argument "${positionals[max]}"`, name);
  return { command: name, positionals, values: parsed.values as CommandLine['values'] };
}

/** node:util's parse errors, said in one line without its advice about `--`. */
function describeParseError(err: unknown, command: CommandName): string {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `${command} has no option ${option ?? message}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return `option ${option ?? ''} of ${command} ${/argument missing/.test(message) ? 'needs a value' : 'takes no value'}`;
  return message.split('\n')[0] ?? message;
}
