import fs from 'node:fs';
import path from 'node:path';

/** The system Chromium (Debian's `chromium` package) or DOCQA_CHROMIUM; undefined when none is installed. */
export function findChromium(): string | undefined {
  if (process.env.DOCQA_CHROMIUM) return process.env.DOCQA_CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const file = path.join(dir, name);
      if (fs.existsSync(file)) return file;
    }
  }
  return undefined;
}
