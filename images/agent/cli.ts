/** The agent's command line, parsed into a typed command (pure: no I/O, no exit). */
import { OidcClientRequest } from '../../shared/protocol.ts';
import { parseServiceSpec, type ServiceSpec } from './services.ts';

export type Command =
  | { verb: 'run'; services: ServiceSpec[] }
  | { verb: 'map'; service: ServiceSpec }
  | { verb: 'oidc-client'; service: ServiceSpec; oidc: OidcClientRequest }
  | { verb: 'vpn-loop' }
  | { verb: 'watchdog' }
  | { verb: 'settings'; field: string }
  | { verb: 'help' };

export type ParsedCommand = { ok: true; command: Command } | { ok: false; message: string };

export const USAGE = `usage: demiurge-agent <command>
  run [--service NAME:PORT[:primary][:ACCESS]]...   VPN, service registration and watchdog (the default entrypoint)
  map NAME PORT                                     register one service once (legacy map_http_service)
  oidc-client NAME PORT PATH...                     register the service as an OpenID Connect client with these
                                                    redirect paths, print its client (JSON, with the secret) on stdout
  vpn-loop                                          VPN and watchdog, no services (legacy vpn_loop)
  watchdog                                          send one watchdog (legacy watchdog)
  settings FIELD                                    print one SETTINGS field (legacy extract_settings)
ACCESS is public, org, project (default) or owner. Settings come from SETTINGS (base64 JSON).`;

const bad = (message: string): ParsedCommand => ({ ok: false, message });

/** Parses `argv` (without the program name). */
export function parseCommand(argv: readonly string[]): ParsedCommand {
  const [verb, ...rest] = argv;
  switch (verb) {
    case 'run':
      return parseRun(rest);
    case 'map': {
      if (rest.length !== 2) return bad('map takes NAME PORT');
      const service = parseServiceSpec(`${rest[0]}:${rest[1]}`);
      return typeof service === 'string' ? bad(service) : { ok: true, command: { verb: 'map', service } };
    }
    case 'oidc-client': {
      if (rest.length < 3) return bad('oidc-client takes NAME PORT PATH...');
      const service = parseServiceSpec(`${rest[0]}:${rest[1]}`);
      if (typeof service === 'string') return bad(service);
      const oidc = OidcClientRequest.safeParse({ redirect_paths: rest.slice(2) });
      if (!oidc.success) return bad(`oidc-client: ${oidc.error.issues[0]?.message ?? 'bad redirect paths'}`);
      return { ok: true, command: { verb: 'oidc-client', service, oidc: oidc.data } };
    }
    case 'vpn-loop':
    case 'watchdog':
      return rest.length === 0 ? { ok: true, command: { verb } } : bad(`${verb} takes no arguments`);
    case 'settings':
      return rest.length === 1 && rest[0]
        ? { ok: true, command: { verb: 'settings', field: rest[0] } }
        : bad('settings takes one FIELD');
    case 'help':
    case '--help':
    case '-h':
      return { ok: true, command: { verb: 'help' } };
    default:
      return bad(verb === undefined ? 'no command given' : `unknown command "${verb}"`);
  }
}

function parseRun(args: readonly string[]): ParsedCommand {
  const services: ServiceSpec[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    let spec: string | undefined;
    if (arg === '--service') spec = args[++i];
    else if (arg.startsWith('--service=')) spec = arg.slice('--service='.length);
    else return bad(`run: unknown argument "${arg}"`);
    if (!spec) return bad('run: --service needs NAME:PORT');
    const service = parseServiceSpec(spec);
    if (typeof service === 'string') return bad(service);
    if (services.some((s) => s.name === service.name))
      return bad(`run: service "${service.name}" given twice`);
    services.push(service);
  }
  if (services.filter((s) => s.primary).length > 1) return bad('run: at most one service may be primary');
  // The image's first service is its primary one unless another is marked.
  const first = services[0];
  if (first && !services.some((s) => s.primary)) first.primary = true;
  return { ok: true, command: { verb: 'run', services } };
}
