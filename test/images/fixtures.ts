/** SETTINGS as a platform would pass them (base64 JSON), shared by the agent tests. */
export const SETTINGS = Buffer.from(
  JSON.stringify({
    user_id: 'u1',
    frontend_fqdn: 'app.example.com',
    ganymede_fqdn: 'api.example.com',
    gateway_fqdn: 'org-42.example.com',
    token: 'raw.jwt.token',
    project_id: 'proj-1',
    user_container_id: 'uc_k3x9',
  }),
).toString('base64');
