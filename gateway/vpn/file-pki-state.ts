/**
 * Development only: the embedded store forgets everything at exit, but the VPN's CA must survive a
 * restart (or every container would distrust the new one). This keeps the PKI blob in DATA_DIR and
 * delegates everything else to the in-memory state.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MemoryVpnState } from './vpn-state-memory.ts';

export class FilePkiVpnState extends MemoryVpnState {
  readonly #file: string;

  constructor(dataDir: string, subnet: string) {
    super(subnet);
    this.#file = join(dataDir, 'vpn-pki.json');
  }

  override async loadPki(): Promise<string | null> {
    return readFile(this.#file, 'utf8').catch(() => null);
  }

  override async savePki(pki: string): Promise<string> {
    try {
      await writeFile(this.#file, pki, { mode: 0o600, flag: 'wx' });
      return pki;
    } catch {
      return (await this.loadPki()) ?? pki;
    }
  }
}
