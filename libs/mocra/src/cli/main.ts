#!/usr/bin/env node
import 'reflect-metadata';
import { processIo } from './cli-io.js';
import { runCli } from './run-cli.js';

// The app booted by check/dag may leave timers or sockets behind; the command's result decides the exit.
runCli(process.argv.slice(2), processIo).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
