/**
 * The operator's surface on the admin listener: `GET /admin/events` (the change feed as SSE, behind
 * ADMIN_TOKEN like the rest of `/admin/*`) and the dashboard (`/`, `/dashboard`, its live feed
 * `/dashboard/events`, a revoke with a confirmation page), behind its own session (dashboard-session.ts).
 */
import type { Context, Hono } from 'hono';
import { ErrorCode, GatewayError } from '../../../shared/errors.ts';
import type { AdminEvents } from '../admin-events.ts';
import type { RevocationResult } from '../revocation.ts';
import { containerPage, DashboardQuery } from './container-page.ts';
import { DASHBOARD_CSS, DASHBOARD_JS } from './dashboard-assets.ts';
import { dashboardSession } from './dashboard-session.ts';
import {
  confirmRevokePage,
  containersSection,
  dashboardPage,
  type GatewayListRow,
  type GatewaySummary,
  loginPage,
  messagePage,
  type VpnClientRow,
} from './dashboard-view.ts';
import { type SnapshotStore, storeSnapshots } from './store-snapshot.ts';

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the page's own posts.
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export interface DashboardDeps {
  store: SnapshotStore;
  livenessTimeoutMs: number;
  /** The admin API's revoke (revocation.ts): the same path as `POST /admin/containers/:id/revoke`. */
  revoke: (containerId: string) => Promise<RevocationResult>;
  /** The change feed as SSE (admin-events.ts). */
  events: AdminEvents;
  gateway: () => GatewaySummary;
  gateways?: () => Promise<GatewayListRow[]>;
  vpnClients?: () => VpnClientRow[];
  adminToken?: string;
  now?: () => number;
}

export function mountDashboard(app: Hono, deps: DashboardDeps): void {
  const session = dashboardSession(deps.adminToken);
  const now = deps.now ?? Date.now;
  const snapshots = storeSnapshots(deps.store);
  const source = { tables: () => snapshots.tables(), health: (id: string) => deps.store.health(id) };
  const page = (c: Context, body: Parameters<Context['html']>[0], status = 200) =>
    c.html(body, status as 200, PAGE_HEADERS);
  const readForm = async (c: Context) => {
    const form = (await c.req.parseBody().catch(() => ({}))) as Record<string, unknown>;
    return (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : undefined);
  };
  const query = (c: Context) => {
    const parsed = DashboardQuery.safeParse(c.req.query());
    if (!parsed.success) throw new GatewayError(ErrorCode.BadRequest, 'bad dashboard query', 400);
    return parsed.data;
  };

  app.get('/admin/events', deps.events.handler);
  app.get('/', (c) => c.redirect('/dashboard', 302));
  app.get('/dashboard/assets/dashboard.css', (c) =>
    c.body(DASHBOARD_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }),
  );
  app.get('/dashboard/assets/dashboard.js', (c) =>
    c.body(DASHBOARD_JS, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  );
  app.get('/dashboard/login', (c) => page(c, loginPage(false, session.csrfToken(c))));
  app.post('/dashboard/login', async (c) => {
    const field = await readForm(c);
    const token = field('token');
    if (!session.postAllowed(c, field('csrf')))
      return page(c, messagePage('Refused', 'This form did not come from this dashboard.'), 403);
    const cookie = token === undefined ? null : session.signIn(token);
    if (!cookie) return page(c, loginPage(true, session.csrfToken(c)), 401);
    c.header('set-cookie', cookie);
    return c.redirect('/dashboard', 303);
  });

  // Everything else under /dashboard needs the session (or, without ADMIN_TOKEN, a loopback Host).
  app.use('/dashboard/*', async (c, next) => {
    const access = session.access(c);
    if (access === 'ok') return next();
    if (access === 'wrong-host')
      return page(
        c,
        messagePage('Refused', 'The dashboard answers on loopback names only (localhost, 127.0.0.1, [::1]).'),
        403,
      );
    if (c.req.method === 'GET' && c.req.path !== '/dashboard/events')
      return c.redirect('/dashboard/login', 303);
    return page(c, messagePage('Sign in first', 'This dashboard needs the admin token.'), 401);
  });
  app.get('/dashboard', async (c) => {
    const at = now();
    const [containers, gateways] = await Promise.all([
      containerPage(source, query(c), deps.livenessTimeoutMs, at),
      deps.gateways?.().catch(() => null) ?? null,
    ]);
    return page(
      c,
      dashboardPage({
        gateway: deps.gateway(),
        gateways,
        vpnClients: deps.vpnClients?.() ?? null,
        page: containers,
        livenessTimeoutMs: deps.livenessTimeoutMs,
        now: at,
        signedIn: session.signInRequired,
        csrf: session.csrfToken(c),
      }),
    );
  });
  app.get('/dashboard/containers', async (c) => {
    const at = now();
    const containers = await containerPage(source, query(c), deps.livenessTimeoutMs, at);
    return page(c, containersSection(containers, at, deps.livenessTimeoutMs));
  });
  app.get('/dashboard/events', deps.events.handler);
  app.get('/dashboard/containers/:id/revoke', async (c) => {
    const id = c.req.param('id');
    if (!CONTAINER_ID.test(id)) return page(c, messagePage('Not a container id', id), 400);
    const at = now();
    const found = await containerPage(
      source,
      { q: id, org: '', state: 'all', page: 1 },
      deps.livenessTimeoutMs,
      at,
    );
    const row = found.rows.find((r) => r.container.containerId === id) ?? null;
    return page(c, confirmRevokePage(row, id, session.csrfToken(c), at, deps.livenessTimeoutMs));
  });
  app.post('/dashboard/containers/:id/revoke', async (c) => {
    const id = c.req.param('id');
    if (!session.postAllowed(c, (await readForm(c))('csrf')))
      return page(
        c,
        messagePage('Refused', 'This form did not come from this dashboard: nothing was revoked.'),
        403,
      );
    if (!CONTAINER_ID.test(id)) return page(c, messagePage('Not a container id', id), 400);
    try {
      const r = await deps.revoke(id);
      const what = `routes ${r.routesRemoved ? 'removed' : 'none'}, VPN clients cut: ${r.vpnClientsKilled}.`;
      return page(c, messagePage(r.alreadyRevoked ? `${id} was already revoked` : `Revoked ${id}`, what));
    } catch (err) {
      if (err instanceof GatewayError && err.status < 500)
        return page(c, messagePage('Not revoked', err.message), err.status);
      throw err;
    }
  });
  app.post('/dashboard/logout', async (c) => {
    if (!session.postAllowed(c, (await readForm(c))('csrf')))
      return page(c, messagePage('Refused', 'This form did not come from this dashboard.'), 403);
    c.header('set-cookie', session.signOutCookie());
    return c.redirect('/dashboard/login', 303);
  });
}
