/**
 * Run by Bun (gateway-client-bun.test.ts): the agent's gateway client against `EVENTS_URL`, whose server
 * answers one request per connection and resets any later one (kept-alive connections whose close was
 * lost). Warms up three pooled connections, then posts plainly and with `freshConnection`; prints one
 * JSON line: the outcome of each post (`ok` or the failure kind).
 */
import { agentConfig } from '../../images/agent/config.ts';
import { EventPostError } from '../../images/agent/event-failure.ts';
import { createGatewayClient, type PostOptions } from '../../images/agent/gateway-client.ts';
import { parseSettings } from '../../images/agent/settings.ts';
import { SETTINGS } from './fixtures.ts';

const settings = parseSettings(SETTINGS);
if (!settings.ok) throw new Error(settings.error.message);
const config = agentConfig(settings.settings, { DEMIURGE_EVENTS_URL: process.env.EVENTS_URL });
if (!config.ok) throw new Error(config.message);
const client = createGatewayClient(config.config);
const body = { event: { type: 'user-container:map-http-service' as const, name: 'web', port: 8080 } };
const post = (options?: PostOptions) =>
  client.postEvent(body, options).then(
    () => 'ok',
    (error: unknown) => (error instanceof EventPostError ? error.kind : String(error)),
  );

const warm = await Promise.all([post(), post(), post()]);
const plain = await post();
const fresh = [await post({ freshConnection: true }), await post({ freshConnection: true })];
process.stdout.write(`${JSON.stringify({ warm, plain, fresh })}\n`);
