import type { Command } from 'commander';

/**
 * Usage errors of a command and all its subcommands throw a CommanderError instead of exiting the process, so the
 * CLI's one error-to-exit-code mapping (main.ts) handles them — and a test can run a command in-process.
 */
export function throwOnUsageErrors(cmd: Command): Command {
  cmd.exitOverride();
  cmd.commands.forEach(throwOnUsageErrors);
  return cmd;
}
