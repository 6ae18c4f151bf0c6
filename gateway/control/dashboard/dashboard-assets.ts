/**
 * The dashboard's stylesheet and script, served as files (`/dashboard/assets/*`) so pages need no inline
 * code. The script follows `/dashboard/events` (SSE): each change goes to the live feed, and a change to
 * routes, liveness or revocations reloads the containers section (server-rendered, same filter and page)
 * at most every 300 ms. Text from events is set with textContent, never as HTML.
 */

export const DASHBOARD_CSS = `
:root { font: 14px/1.4 system-ui, sans-serif; color: #1d2733; background: #f4f6f8; }
body { margin: 0; }
header { display: flex; gap: 2em; align-items: center; padding: .6em 1.2em; background: #1d2733; color: #fff; }
header h1 { font-size: 1.2em; margin: 0; }
header form { margin-left: auto; }
dl.self { display: flex; gap: .4em 1em; margin: 0; flex-wrap: wrap; }
dl.self dt { opacity: .7; } dl.self dd { margin: 0; }
main { display: flex; gap: 1.2em; padding: 1em 1.2em; align-items: flex-start; }
main.narrow { display: block; max-width: 44em; margin: 2em auto; background: #fff; padding: 1.5em; border-radius: 6px; }
section.main { flex: 1; min-width: 0; }
aside { width: 28em; flex: none; }
aside table { font-size: .85em; }
h2 { font-size: 1.05em; margin: .2em 0 .5em; }
table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1em; }
th, td { text-align: left; vertical-align: top; padding: .35em .5em; border-bottom: 1px solid #e2e6ea; }
th { font-weight: 600; background: #e9edf1; }
code { font-size: .92em; word-break: break-all; }
small { color: #5b6775; }
.filter { display: flex; gap: .5em; margin-bottom: .6em; }
.filter input[type=search] { flex: 1; }
input, select, button { font: inherit; padding: .25em .5em; }
.state { font-weight: 600; } .online, .alive, .up { color: #17803d; } .offline, .dead, .down { color: #b42318; }
.never, .draining, .degraded { color: #a15c07; }
.access { font-size: .8em; padding: 0 .4em; border-radius: 3px; background: #e9edf1; }
.access.public { background: #fde7c8; } .access.owner { background: #dde7fb; }
.service { margin-bottom: .3em; }
.pager { display: flex; gap: 1em; }
#feed { list-style: none; padding: 0; margin: 0 0 1em; max-height: 22em; overflow-y: auto; background: #fff; font-size: .9em; }
#feed li { padding: .2em .5em; border-bottom: 1px solid #eef1f4; font-family: ui-monospace, monospace; word-break: break-all; }
.error { color: #b42318; } .danger { background: #b42318; color: #fff; border: 0; border-radius: 4px; padding: .4em .9em; }
`;

export const DASHBOARD_JS = `'use strict';
(function () {
  var feed = document.getElementById('feed');
  var feedState = document.getElementById('feed-state');
  var section = document.getElementById('containers');
  var pending = null;
  function refresh() {
    if (pending) return;
    pending = setTimeout(function () {
      pending = null;
      fetch('/dashboard/containers' + location.search, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (text) { section.innerHTML = text; })
        .catch(function () {});
    }, 300);
  }
  function describe(e) {
    switch (e.kind) {
      case 'routes': return 'routes v' + e.version + ' ' + e.containerId + ' ' + e.hostnames.join(' ');
      case 'liveness': return 'online ' + e.containerId;
      case 'revoked': return 'revoked ' + e.containerId;
      case 'location': return 'location ' + e.containerId + ' ' + (e.gatewayId || '(none)') + ' e' + e.epoch;
      case 'pool': return 'pool ' + e.gatewayId;
      default: return 'resync (changes may have been missed)';
    }
  }
  var source = new EventSource('/dashboard/events');
  source.onopen = function () { feedState.textContent = 'live'; };
  source.onerror = function () { feedState.textContent = 'reconnecting'; };
  ['routes', 'liveness', 'revoked', 'location', 'pool', 'resync'].forEach(function (kind) {
    source.addEventListener(kind, function (m) {
      var e = JSON.parse(m.data);
      var li = document.createElement('li');
      li.textContent = new Date(e.at).toISOString().slice(11, 19) + ' ' + describe(e);
      feed.insertBefore(li, feed.firstChild);
      while (feed.childNodes.length > 200) feed.removeChild(feed.lastChild);
      if (kind !== 'location' && kind !== 'pool') refresh();
    });
  });
})();
`;
