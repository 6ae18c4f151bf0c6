/** pgAdmin 4 on its Alpine-based upstream image (musl agent); its entrypoint uses the legacy shim. */
import { type ImageModule, vpnRequirements } from '../image-definition.ts';

export const pgadminModule: ImageModule = {
  name: 'pgadmin',
  images: [
    {
      id: 'pgadmin:latest',
      name: 'pgAdmin 4',
      image: 'demiurge/pgadmin4:latest',
      dockerfileDir: 'pgadmin4',
      libc: 'musl',
      services: [
        {
          name: 'pgadmin4',
          port: 5050,
          primary: true,
          access: 'project',
          // pgAdmin's OAUTH2 login (its callback is /oauth2/authorize), configured by the entrypoint.
          oidc: { redirect_paths: ['/oauth2/authorize'] },
        },
      ],
      requirements: vpnRequirements(),
    },
  ],
};
