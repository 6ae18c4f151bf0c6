import { execFileSync } from 'node:child_process';

/**
 * Fails (never skips) when a system command is missing, naming the Debian package to install.
 * `.ci/run` and `npm test`'s pretest install them; this message is for a machine where that could not run.
 */
export function requireCommand(command: string, debianPackage: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `missing prerequisite "${command}": install it with: apt-get install -y ${debianPackage}`,
    );
  }
}
