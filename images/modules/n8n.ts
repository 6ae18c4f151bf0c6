/** n8n on its Alpine-based upstream image (musl agent). */
import { type ImageModule, vpnRequirements } from '../image-definition.ts';

export const n8nModule: ImageModule = {
  name: 'n8n',
  images: [
    {
      id: 'n8n:latest',
      name: 'n8n',
      image: 'demiurge/n8n:latest',
      dockerfileDir: 'n8n',
      libc: 'musl',
      services: [{ name: 'n8n', port: 5678, primary: true, access: 'project' }],
      requirements: vpnRequirements(),
    },
  ],
};
