// prestart/pretest: installs npm dependencies when node_modules is missing or older than the lockfile,
// and (with --system) the Debian packages the tests need. Keeps `npm start` / `npm test` one command.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const stale =
  !existsSync('node_modules/.package-lock.json') ||
  statSync('package-lock.json').mtimeMs > statSync('node_modules/.package-lock.json').mtimeMs;
if (stale) {
  process.stderr.write('installing npm dependencies (npm ci)...\n');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' });
}
if (process.argv.includes('--system'))
  execFileSync('bash', ['scripts/system-packages.sh'], { stdio: 'inherit' });
