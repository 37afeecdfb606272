import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file the user named on the command line (a report, predictions, a metrics file): its folder is created,
 * and the text goes to a temporary file renamed into place, so a reader (a textfile collector, a browser) never
 * sees half of it.
 */
export async function writeOutputFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}
