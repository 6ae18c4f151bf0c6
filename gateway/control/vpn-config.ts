/** GET /collab/vpn-config: a container's own VPN configuration (legacy JSON by default, `?format=ovpn`). */
import type { Context } from 'hono';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { ContainerTokenVerifier } from '../auth/container-token.ts';
import { type VpnManager, vpnDisabled } from '../vpn/vpn-manager.ts';
import type { ControlEnv } from './env.ts';

export function vpnConfigHandler(verifier: ContainerTokenVerifier, vpn: VpnManager | undefined) {
  return async (c: Context<ControlEnv>) => {
    const identity = await verifier.verify(c.req.header('authorization'));
    if (!vpn) throw vpnDisabled();
    const format = c.req.query('format') ?? 'legacy';
    if (format !== 'legacy' && format !== 'ovpn')
      throw new GatewayError(ErrorCode.BadRequest, 'format must be "ovpn" or absent', 400);
    const answer = await vpn.clientConfig(identity, format);
    c.header('cache-control', 'no-store');
    if (typeof answer === 'string') {
      return c.body(answer, 200, { 'content-type': 'application/x-openvpn-profile' });
    }
    return c.json(answer);
  };
}
