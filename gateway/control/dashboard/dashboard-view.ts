/**
 * The dashboard's HTML, rendered on the server with Hono's `html` helper: every interpolated value is
 * escaped (container ids, hostnames and stats come from containers). Static CSS and script are separate
 * files (`dashboard-assets.ts`), so the pages' Content-Security-Policy allows no inline code.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { SystemStats } from '../../../shared/protocol.ts';
import type { ContainerPage, ContainerRow, DashboardQuery } from './container-page.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export interface GatewaySummary {
  gatewayId: string;
  version: string;
  startedAt: number;
  store: string;
  storeKind: 'redis' | 'memory';
}

/** A pool member as GET /admin/gateways lists it (the fields shown). */
export interface GatewayListRow {
  id: string;
  state: string;
  version: string;
  vpnRemote: string | null;
  lastBeatAgoMs: number;
  containers: number;
}

export interface VpnClientRow {
  commonName: string;
  vpnAddress?: string | null;
  realAddress: string;
  since: number;
}

export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

const time = (at: number) => new Date(at).toISOString().replace('T', ' ').slice(0, 19);

export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/dashboard/assets/dashboard.css"></head>
<body>${body}</body></html>`;
}

export function stateCell(row: ContainerRow, now: number, livenessTimeoutMs: number): Html {
  if (row.lastWatchdog === null) return html`<span class="state never">never seen</span>`;
  if (row.online)
    return html`<span class="state online">online</span><br><small>beat ${ago(now - row.lastWatchdog)} ago</small>`;
  const since = row.lastWatchdog + livenessTimeoutMs;
  return html`<span class="state offline">offline</span><br><small title="${time(since)} UTC">since ${ago(now - since)}</small>`;
}

export function statsCell(stats: SystemStats | null): Html {
  if (!stats) return html`<small>-</small>`;
  const { cpu, memory, disk, gpus } = stats;
  const gb = (mb: number) => (mb / 1024).toFixed(1);
  const mem =
    memory.totalMb !== null
      ? `${memory.availableMb === null ? '?' : gb(memory.availableMb)}/${gb(memory.totalMb)} GB free`
      : '-';
  const diskText =
    disk.usedPercent !== null
      ? `${disk.usedPercent}% used${disk.sizeBytes !== null ? ` of ${Math.round(disk.sizeBytes / 2 ** 30)} GB` : ''}`
      : '-';
  return html`<small>load ${cpu.load?.map((n) => n.toFixed(2)).join(' ') ?? '-'}${cpu.count !== null ? ` (${cpu.count} cpu)` : ''}<br>
mem ${mem}<br>disk ${diskText}${gpus.length ? html`<br>gpu ${gpus.join(', ')}` : ''}</small>`;
}

function containerRow(row: ContainerRow, now: number, livenessTimeoutMs: number): Html {
  const c = row.container;
  const id = encodeURIComponent(c.containerId);
  return html`<tr data-container="${c.containerId}">
<td><code>${c.containerId}</code><br><small>gateway ${c.gateway} · ${c.upstream}</small></td>
<td><small>org</small> <code>${c.orgId}</code><br><small>project</small> <code>${c.projectId}</code></td>
<td>${
    row.services.length === 0
      ? html`<small>no services</small>`
      : row.services.map(
          (s) =>
            html`<div class="service"><b>${s.name}</b> <span class="access ${s.access}">${s.access}</span> <small>:${s.port}</small>${s.hostnames.map(
              (h) => html`<br><code class="host">${h}</code>`,
            )}</div>`,
        )
  }</td>
<td>${stateCell(row, now, livenessTimeoutMs)}</td>
<td>${statsCell(row.stats)}</td>
<td><a class="revoke" href="/dashboard/containers/${id}/revoke">Revoke…</a></td></tr>`;
}

const pageLink = (q: DashboardQuery, page: number) =>
  `/dashboard?${new URLSearchParams({ q: q.q, org: q.org, state: q.state, page: String(page) })}`;

/** The containers section; also served alone (`/dashboard/containers`) for the live refresh. */
export function containersSection(page: ContainerPage, now: number, livenessTimeoutMs: number): Html {
  const q = page.query;
  return html`<p class="count">${page.matched} of ${page.total} containers · page ${q.page} of ${page.pages}</p>
<table class="containers"><thead><tr><th>container</th><th>organisation / project</th><th>services</th><th>state</th><th>last watchdog</th><th></th></tr></thead>
<tbody>${page.rows.map((r) => containerRow(r, now, livenessTimeoutMs))}</tbody></table>
<nav class="pager">${q.page > 1 ? html`<a rel="prev" href="${pageLink(q, q.page - 1)}">← previous</a>` : ''}
${q.page < page.pages ? html`<a rel="next" href="${pageLink(q, q.page + 1)}">next →</a>` : ''}</nav>`;
}

function filterForm(q: DashboardQuery): Html {
  const opt = (v: string) => html`<option value="${v}"${q.state === v ? html` selected` : ''}>${v}</option>`;
  return html`<form class="filter" method="get" action="/dashboard">
<input type="search" name="q" value="${q.q}" placeholder="search id, org, project, hostname" aria-label="search">
<input name="org" value="${q.org}" placeholder="organisation id" aria-label="organisation">
<select name="state" aria-label="state">${['all', 'online', 'offline'].map(opt)}</select>
<button type="submit">Filter</button></form>`;
}

function gatewayHeader(g: GatewaySummary, now: number, signOut: Html | string): Html {
  return html`<header><h1>Demiurge Gateway</h1>
<dl class="self"><dt>gateway</dt><dd><code>${g.gatewayId}</code></dd><dt>version</dt><dd>${g.version}</dd>
<dt>up</dt><dd title="${time(g.startedAt)} UTC">${ago(now - g.startedAt)}</dd>
<dt>store</dt><dd><span class="store ${g.store}">${g.storeKind} · ${g.store}</span></dd></dl>${signOut}</header>`;
}

function gatewaysTable(rows: GatewayListRow[] | null): Html {
  if (rows === null) return html`<p><small>no pool</small></p>`;
  return html`<table><thead><tr><th>gateway</th><th>state</th><th>version</th><th>VPN remote</th><th>last beat</th><th>containers</th></tr></thead>
<tbody>${rows.map(
    (g) =>
      html`<tr><td><code>${g.id}</code></td><td><span class="state ${g.state}">${g.state}</span></td><td>${g.version}</td><td>${g.vpnRemote ?? '-'}</td><td>${ago(g.lastBeatAgoMs)} ago</td><td>${g.containers}</td></tr>`,
  )}</tbody></table>`;
}

function vpnTable(rows: VpnClientRow[] | null, now: number): Html {
  if (rows === null) return html`<p><small>VPN off (VPN_ENABLED=false)</small></p>`;
  if (rows.length === 0) return html`<p><small>no clients connected</small></p>`;
  return html`<table><thead><tr><th>container</th><th>VPN address</th><th>real address</th><th>since</th></tr></thead>
<tbody>${rows.map(
    (v) =>
      html`<tr><td><code>${v.commonName}</code></td><td>${v.vpnAddress ?? '-'}</td><td>${v.realAddress}</td><td>${ago(now - v.since)} ago</td></tr>`,
  )}</tbody></table>`;
}

export interface DashboardModel {
  gateway: GatewaySummary;
  gateways: GatewayListRow[] | null;
  vpnClients: VpnClientRow[] | null;
  page: ContainerPage;
  livenessTimeoutMs: number;
  now: number;
  signedIn: boolean;
  csrf: string;
}

export function dashboardPage(m: DashboardModel): Html {
  const signOut = m.signedIn
    ? html`<form method="post" action="/dashboard/logout"><input type="hidden" name="csrf" value="${m.csrf}"><button>Sign out</button></form>`
    : '';
  return layout(
    'Gateway dashboard',
    html`${gatewayHeader(m.gateway, m.now, signOut)}
<main><section class="main"><h2>Containers</h2>${filterForm(m.page.query)}
<div id="containers">${containersSection(m.page, m.now, m.livenessTimeoutMs)}</div></section>
<aside><h2>Live changes <small id="feed-state">connecting</small></h2><ol id="feed"></ol>
<h2>Gateways</h2>${gatewaysTable(m.gateways)}
<h2>VPN clients</h2>${vpnTable(m.vpnClients, m.now)}</aside></main>
<script src="/dashboard/assets/dashboard.js" defer></script>`,
  );
}

export function loginPage(failed: boolean, csrf: string): Html {
  return layout(
    'Gateway dashboard: sign in',
    html`<main class="narrow"><h1>Gateway dashboard</h1>
<p>This admin listener has an <code>ADMIN_TOKEN</code>. Enter it to sign in (the browser keeps a session cookie, not the token).</p>
${failed ? html`<p class="error">That is not this gateway's admin token.</p>` : ''}
<form method="post" action="/dashboard/login"><input type="hidden" name="csrf" value="${csrf}">
<input type="password" name="token" autocomplete="current-password" aria-label="admin token" required autofocus>
<button type="submit">Sign in</button></form></main>`,
  );
}

export function confirmRevokePage(
  row: ContainerRow | null,
  containerId: string,
  csrf: string,
  now: number,
  timeoutMs: number,
): Html {
  const id = encodeURIComponent(containerId);
  return layout(
    `Revoke ${containerId}?`,
    html`<main class="narrow"><h1>Revoke <code>${containerId}</code>?</h1>
${
  row
    ? html`<p>Organisation <code>${row.container.orgId}</code>, project <code>${row.container.projectId}</code>; ${stateCell(row, now, timeoutMs)}</p>
<ul>${row.services.flatMap((s) => s.hostnames).map((h) => html`<li><code>${h}</code></li>`)}</ul>`
    : html`<p>No container record (it may still have a VPN certificate or address).</p>`
}
<p>Revoking is for good: its routes and WebSockets go, its certificate is revoked and its VPN client cut, and its events are refused from then on.</p>
<form method="post" action="/dashboard/containers/${id}/revoke"><input type="hidden" name="csrf" value="${csrf}">
<button type="submit" class="danger">Revoke ${containerId}</button> <a href="/dashboard">Cancel</a></form></main>`,
  );
}

export function messagePage(title: string, message: string): Html {
  return layout(
    title,
    html`<main class="narrow"><h1>${title}</h1><p>${message}</p><p><a href="/dashboard">Back to the dashboard</a></p></main>`,
  );
}
