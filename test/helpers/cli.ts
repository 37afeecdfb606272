/** Runs a docqa CLI command in-process (usage errors thrown, not exiting) and returns what it printed on stdout. */
import type { Command } from 'commander';
import { vi } from 'vitest';
import { throwOnUsageErrors } from '../../src/cli/usage.js';

export async function runCommand(command: () => Command, ...args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await throwOnUsageErrors(command()).parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
  }
  return out;
}
