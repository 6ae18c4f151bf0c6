/**
 * The admin API's wire shapes as zod schemas: the handlers validate their input with them, their
 * answers are type-checked against them, and `/admin/openapi.json` is generated from them.
 */
import { z } from '@hono/zod-openapi';
import { AccessLevel, ContainerId, SystemStats } from '../../shared/protocol.ts';

const epochMs = z.number().int().openapi({ description: 'epoch milliseconds' });

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: 'stable code (shared/errors.ts), e.g. GW_ERR_NOT_FOUND' }),
      message: z.string(),
    }),
  })
  .openapi('Error');

// Schemas from shared/ may be built before this module extends zod with `.openapi()`: used as they are.
export const ContainerIdParam = z.object({ id: ContainerId });

export const ContainerRow = z
  .object({
    containerId: z.string(),
    orgId: z.string(),
    projectId: z.string(),
    ownerId: z
      .string()
      .optional()
      .openapi({ description: "the container's owner, when its token names one" }),
    upstream: z.string().openapi({ description: 'address the proxy forwards to' }),
    gateway: z.string().openapi({ description: 'id of the gateway that registered it' }),
    alias: z.string().openapi({ description: 'the primary alias hostname uc-<c>.org-<o>.<domain>' }),
    primary: z.string().openapi({ description: "the primary service's name, '' when none" }),
    createdAt: epochMs,
  })
  .openapi('Container');

export const RouteRow = z
  .object({
    hostname: z.string(),
    containerId: z.string(),
    orgId: z.string(),
    projectId: z.string(),
    service: z.string(),
    upstream: z.string(),
    port: z.number().int().min(1).max(65535),
    access: AccessLevel,
    ownerId: z.string().openapi({ description: "the container's owner, '' when none" }),
  })
  .openapi('Route');

export const HealthRow = z
  .object({
    containerId: z.string(),
    orgId: z.string(),
    projectId: z.string(),
    online: z.boolean(),
    lastWatchdog: epochMs.nullable(),
    ageMs: z.number().nullable().openapi({ description: "the last watchdog's age, null when none came" }),
    lastActivity: epochMs.nullable(),
    stats: SystemStats.nullable(),
  })
  .openapi('Health');

export const RevocationBody = z
  .object({
    containerId: z.string(),
    alreadyRevoked: z.boolean(),
    routesRemoved: z.boolean(),
    vpnClientsKilled: z.number().int().min(0),
  })
  .openapi('Revocation');

export const GatewayRow = z
  .object({
    id: z.string(),
    backbone: z.string().nullable(),
    vpnRemote: z.string().nullable(),
    version: z.string(),
    startedAt: epochMs,
    lastBeat: epochMs,
    draining: z.boolean(),
    state: z.enum(['alive', 'draining', 'dead']),
    lastBeatAgoMs: z.number().min(0),
    containers: z.number().int().min(0).openapi({ description: 'containers whose tunnel it holds' }),
  })
  .openapi('Gateway');

export const VpnClientRow = z
  .object({
    cid: z.number().int(),
    commonName: z.string().openapi({ description: 'the container id (certificate CN)' }),
    realAddress: z.string(),
    vpnAddress: z.string().nullable(),
    bytesReceived: z.number().min(0),
    bytesSent: z.number().min(0),
    since: epochMs,
  })
  .openapi('VpnClient');

export type GatewayRow = z.infer<typeof GatewayRow>;
export type VpnClientRow = z.infer<typeof VpnClientRow>;
