import { checkCommand } from './check.command.js';
import { UsageError, type CliIo } from './cli-io.js';
import { dagCommand } from './dag.command.js';
import { mocraCoreVersion } from './mocra-version.js';
import { newCommand } from './new.command.js';

export const MAIN_HELP = `Usage: mocra <command> [options]

Commands:
  check    validate a config, the app's DAGs, middleware and cron; optionally reach Kafka, Raft and the API port
  dag      print each module's DAG as text and as a Mermaid diagram
  new      write a starter crawler app

Run "mocra <command> --help" for a command's options. "mocra --version" prints the version.`;

const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  check: checkCommand,
  dag: dagCommand,
  new: newCommand,
};

/** Runs the mocra command line; returns the exit code (0 ok, 1 a failure was found, 2 a usage mistake). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined && COMMANDS[topic]) return COMMANDS[topic](['--help'], io);
    io.out(MAIN_HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    io.out(mocraCoreVersion());
    return 0;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`mocra: unknown command "${command}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  try {
    return await run(rest, io);
  } catch (err) {
    // parseArgs throws TypeErrors with an ERR_PARSE_ARGS_* code for unknown or malformed options.
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(`mocra ${command}: ${(err as Error).message}`);
      io.err(`run "mocra ${command} --help" for usage`);
      return 2;
    }
    io.err(`mocra ${command}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}
