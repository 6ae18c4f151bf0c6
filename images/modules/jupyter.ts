/** JupyterLab, one Dockerfile with a VARIANT build argument: minimal, or with PyTorch (CPU). */
import { type ImageModule, vpnRequirements } from '../image-definition.ts';

const jupyter = (variant: 'minimal' | 'pytorch', name: string) => ({
  id: `jupyter:${variant}`,
  name,
  image: `demiurge/jupyterlab-${variant}:latest`,
  dockerfileDir: 'jupyterlab',
  buildArgs: { VARIANT: variant },
  libc: 'glibc' as const,
  services: [{ name: 'jupyterlab', port: 8888, primary: true, access: 'project' as const }],
  requirements: vpnRequirements(),
});

export const jupyterModule: ImageModule = {
  name: 'jupyter',
  images: [jupyter('minimal', 'JupyterLab'), jupyter('pytorch', 'JupyterLab with PyTorch')],
};
