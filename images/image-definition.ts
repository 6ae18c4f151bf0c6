/** The shape of one user image, as the platform starts it and the gateway routes it (zod, one source). */
import { z } from 'zod';
import { AccessLevel, OidcClientRequest, ServiceName } from '../shared/protocol.ts';

export const ImageService = z.object({
  name: ServiceName,
  port: z.number().int().min(1).max(65535),
  primary: z.boolean(),
  access: AccessLevel,
  /** The service signs users in through the gateway's OpenID Connect provider (a client, its redirect paths). */
  oidc: OidcClientRequest.optional(),
});
export type ImageService = z.infer<typeof ImageService>;

/** What every user image needs from the container runtime to run OpenVPN. */
export const REQUIRED_CAPABILITIES = ['NET_ADMIN'] as const;
export const REQUIRED_DEVICES = ['/dev/net/tun'] as const;

export const ImageDefinition = z
  .object({
    /** Stable id the platform stores, `<family>:<variant>`. */
    id: z.string().regex(/^[a-z0-9-]+:[a-z0-9.-]+$/, 'an id such as ubuntu:terminal'),
    name: z.string().min(1),
    /** Image reference the build tags and the platform pulls. */
    image: z
      .string()
      .regex(/^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?$/, 'an image reference such as demiurge/ubuntu:latest'),
    /** Folder under `images/` holding the Dockerfile and entrypoint. */
    dockerfileDir: z.string().regex(/^[a-z0-9-]+$/),
    buildArgs: z.record(z.string(), z.string()).default({}),
    /** Which agent build the base image runs: Debian/Ubuntu (glibc) or Alpine (musl). */
    libc: z.enum(['glibc', 'musl']),
    services: z.array(ImageService).min(1),
    requirements: z.object({
      capabilities: z.array(z.string()),
      devices: z.array(z.string()),
    }),
  })
  .superRefine((image, ctx) => {
    const primaries = image.services.filter((s) => s.primary).length;
    if (primaries !== 1)
      ctx.addIssue({ code: 'custom', message: `${image.id}: exactly one primary service` });
    const names = new Set(image.services.map((s) => s.name));
    if (names.size !== image.services.length)
      ctx.addIssue({ code: 'custom', message: `${image.id}: service names repeat` });
    for (const cap of REQUIRED_CAPABILITIES)
      if (!image.requirements.capabilities.includes(cap))
        ctx.addIssue({ code: 'custom', message: `${image.id}: requirements lack ${cap}` });
    for (const dev of REQUIRED_DEVICES)
      if (!image.requirements.devices.includes(dev))
        ctx.addIssue({ code: 'custom', message: `${image.id}: requirements lack ${dev}` });
  });
export type ImageDefinition = z.output<typeof ImageDefinition>;
export type ImageDefinitionInput = z.input<typeof ImageDefinition>;

/** A module registers the images of one product family. */
export interface ImageModule {
  name: string;
  images: readonly ImageDefinitionInput[];
}

/** The requirements every user image declares. */
export const vpnRequirements = () => ({
  capabilities: [...REQUIRED_CAPABILITIES],
  devices: [...REQUIRED_DEVICES],
});
