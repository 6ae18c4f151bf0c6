/** `demiurge-agent`: the container bootstrap agent. Exit codes: 0 done, 1 failed, 2 bad usage or settings. */
import { runAgent, watchdogDeps } from './agent.ts';
import { parseCommand, USAGE } from './cli.ts';
import { agentConfig } from './config.ts';
import { createGatewayClient } from './gateway-client.ts';
import { createLog, errorMessage } from './log.ts';
import { legacyMapEvent, oidcMapEvent } from './services.ts';
import { AgentSettings, describeSettingsError, parseSettings } from './settings.ts';
import { sendWatchdog } from './watchdog.ts';

function usageError(line: string): never {
  process.stderr.write(`demiurge-agent: ${line}\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<number> {
  const parsed = parseCommand(argv);
  if (!parsed.ok) usageError(parsed.message);
  const command = parsed.command;
  if (command.verb === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const settings = parseSettings(env.SETTINGS);
  if (!settings.ok) {
    process.stderr.write(`${describeSettingsError(settings.error)}\n`);
    return 2;
  }
  if (command.verb === 'settings') {
    if (!(command.field in AgentSettings.shape)) usageError(`no SETTINGS field "${command.field}"`);
    const value = settings.settings[command.field as keyof AgentSettings];
    process.stdout.write(`${value ?? ''}\n`);
    return 0;
  }
  const configured = agentConfig(settings.settings, env);
  if (!configured.ok) {
    process.stderr.write(`demiurge-agent: ${configured.field} ${configured.message}\n`);
    return 2;
  }
  const config = configured.config;
  const log = createLog();
  const client = createGatewayClient(config);
  switch (command.verb) {
    case 'map':
      try {
        await client.postEvent(legacyMapEvent(command.service, config.projectId));
        return 0;
      } catch (error) {
        log('warn', 'service registration failed', {
          service: command.service.name,
          error: errorMessage(error),
        });
        return 1;
      }
    case 'oidc-client':
      // The secret goes to stdout only (the entrypoint's config file), never to a log line.
      try {
        await client.postEvent(oidcMapEvent(command.service, config.projectId, command.oidc));
        const credentials = await client.fetchOidcClient(command.service.name);
        process.stdout.write(`${JSON.stringify(credentials)}\n`);
        return 0;
      } catch (error) {
        log('warn', 'oidc client registration failed', {
          service: command.service.name,
          error: errorMessage(error),
        });
        return 1;
      }
    case 'watchdog':
      try {
        await sendWatchdog(watchdogDeps(config, client, log));
        return 0;
      } catch (error) {
        log('warn', 'watchdog failed', { error: errorMessage(error) });
        return 1;
      }
    case 'run':
    case 'vpn-loop': {
      if (config.tls.insecure)
        log('warn', 'TLS verification is OFF (DEMIURGE_INSECURE_TLS=1): development only');
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const services = command.verb === 'run' ? command.services : [];
      await runAgent({ config, services, log, signal: controller.signal });
      log('info', 'stopped');
      return 0;
    }
  }
}

main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demiurge-agent: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
