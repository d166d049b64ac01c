/**
 * The default account INTERFACE.md promises for `--voice-url` setups: created on first start with a
 * fresh SID and auth token, kept in the data folder (owner-only permissions), and reused afterwards so
 * that webhook signatures stay verifiable across restarts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DialtoneError, ErrorCodes, isSid, newSid } from '../kernel/index.js';

export interface StoredAccount {
  sid: string;
  authToken: string;
}

export const defaultAccountFile = 'default-account.json';

export async function loadOrCreateDefaultAccount(dataDir: string): Promise<{ account: StoredAccount; created: boolean }> {
  const path = join(dataDir, defaultAccountFile);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const parsed: unknown = JSON.parse(text);
    const record = parsed as Partial<StoredAccount> | null;
    if (
      record === null ||
      typeof record.sid !== 'string' ||
      !isSid(record.sid, 'AC') ||
      typeof record.authToken !== 'string' ||
      record.authToken.length < 16
    ) {
      throw new DialtoneError(ErrorCodes.configInvalid, `${path}: not a valid default account (sid, authToken)`, { path });
    }
    return { account: { sid: record.sid, authToken: record.authToken }, created: false };
  }
  const account: StoredAccount = { sid: newSid('AC'), authToken: randomBytes(16).toString('hex') };
  await mkdir(dataDir, { recursive: true });
  // 'wx' so two engines starting on one folder cannot both create (and disagree on) the account.
  await writeFile(path, JSON.stringify(account, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return { account, created: true };
}
