/** The mocra command line as functions, for tools that embed it; the bin is ./main.ts. */
export { runCli, MAIN_HELP } from './run-cli.js';
export { processIo, UsageError, type CliIo } from './cli-io.js';
export {
  checkCommand,
  runCheck,
  CHECK_HELP,
  type CheckItem,
  type CheckOptions,
  type CheckReport,
  type CheckStatus,
} from './check.command.js';
export { dagCommand, runDag, DAG_HELP, type DagFormat, type DagOptions } from './dag.command.js';
export { newCommand, runNew, NEW_HELP, type NewOptions } from './new.command.js';
export { renderDagMermaid, renderDagText } from './dag.render.js';
export { loadApp, parseAppSpec, type AppModuleRef, type AppSource, type AppSpec } from './app-loader.js';
export { bootWithoutStart, NO_START_ENV } from './app-boot.js';
export { starterFiles, STARTER_VERSIONS, type StarterOptions } from './starter-template.js';
