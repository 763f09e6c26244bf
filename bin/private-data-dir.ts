// The data directory holds development secrets (jwt-secret, keyring.json) and the embedded stores: only the
// service user may read it. Its writers create it 0700 (and secrets 0600); an existing one readable by group or others is tightened, and so
// are secret files wider than 0600 (written by an older version, or copied in by hand).
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';

const SECRET_FILES = ['jwt-secret', 'keyring.json'];

async function tighten(path: string, mode: number, warn: (line: string) => void): Promise<void> {
  let current: number;
  try {
    current = (await stat(path)).mode & 0o777;
  } catch {
    return;
  }
  if ((current & ~mode) === 0) return;
  try {
    await chmod(path, current & mode);
  } catch (error) {
    warn(`companyos: ${path} is readable by other users and its mode cannot be changed (${(error as NodeJS.ErrnoException).code}); make it ${mode.toString(8)}`);
  }
}

export async function keepDataDirPrivate(dataDir: string, warn: (line: string) => void = console.warn): Promise<void> {
  await tighten(dataDir, 0o700, warn);
  for (const file of SECRET_FILES) await tighten(join(dataDir, file), 0o600, warn);
}
