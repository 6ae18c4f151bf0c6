/** The image registry: every user image, validated and grouped by the module that registers it. */
import { ErrorCode, GatewayError } from '../shared/errors.ts';
import { ImageDefinition, type ImageModule } from './image-definition.ts';
import { jupyterModule } from './modules/jupyter.ts';
import { n8nModule } from './modules/n8n.ts';
import { pgadminModule } from './modules/pgadmin.ts';
import { terminalModule } from './modules/terminal.ts';

export { ImageDefinition, type ImageModule, ImageService } from './image-definition.ts';

export interface RegisteredImage extends ImageDefinition {
  /** The module that registered it. */
  module: string;
}

export interface ImageRegistry {
  readonly images: readonly RegisteredImage[];
  get(id: string): RegisteredImage | undefined;
  /** Image ids per registering module. */
  byModule(): ReadonlyMap<string, readonly string[]>;
}

const badRegistry = (message: string) =>
  new GatewayError(ErrorCode.BadConfig, `image registry: ${message}`, 500);

/** Validates every module's images; a duplicate id (within or across modules) is an error. */
export function buildRegistry(modules: readonly ImageModule[]): ImageRegistry {
  const byId = new Map<string, RegisteredImage>();
  const groups = new Map<string, string[]>();
  for (const module of modules) {
    if (groups.has(module.name)) throw badRegistry(`module "${module.name}" is registered twice`);
    const ids: string[] = [];
    for (const input of module.images) {
      const parsed = ImageDefinition.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw badRegistry(`module "${module.name}": ${issue?.path.join('.') || 'image'} ${issue?.message}`);
      }
      const existing = byId.get(parsed.data.id);
      if (existing)
        throw badRegistry(
          `image id "${parsed.data.id}" is registered by "${existing.module}" and "${module.name}"`,
        );
      byId.set(parsed.data.id, { ...parsed.data, module: module.name });
      ids.push(parsed.data.id);
    }
    groups.set(module.name, ids);
  }
  const images = [...byId.values()];
  return { images, get: (id) => byId.get(id), byModule: () => groups };
}

/** The modules shipped with the project, in registration order. */
export const IMAGE_MODULES: readonly ImageModule[] = [
  terminalModule,
  jupyterModule,
  pgadminModule,
  n8nModule,
];

/** The project's registry. */
export const imageRegistry = (): ImageRegistry => buildRegistry(IMAGE_MODULES);
