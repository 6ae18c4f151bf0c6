/** SECRETS_KEY from the environment, or (development) one generated once into DATA_DIR. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSecretsKey, SecretBox } from './secrets.ts';

export async function loadSecretBox(
  envKey: string | undefined,
  dataDir: string,
  allowGenerated: boolean,
): Promise<SecretBox> {
  if (envKey) return SecretBox.fromSecretsKey(envKey);
  if (!allowGenerated)
    throw new Error('config: SECRETS_KEY must be set (it encrypts the VPN private keys at rest)');
  const file = join(dataDir, 'secrets.key');
  let key = await readFile(file, 'utf8').catch(() => undefined);
  if (!key) {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    key = generateSecretsKey();
    await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(async () => {
      key = await readFile(file, 'utf8'); // another process wrote it first
    });
  }
  return SecretBox.fromSecretsKey(key.trim());
}
