/** The web terminal: ttyd on Ubuntu. */
import { type ImageModule, vpnRequirements } from '../image-definition.ts';

export const terminalModule: ImageModule = {
  name: 'terminal',
  images: [
    {
      id: 'ubuntu:terminal',
      name: 'Ubuntu terminal',
      image: 'demiurge/ubuntu-terminal:latest',
      dockerfileDir: 'ubuntu',
      libc: 'glibc',
      services: [{ name: 'terminal', port: 7681, primary: true, access: 'project' }],
      requirements: vpnRequirements(),
    },
  ],
};
