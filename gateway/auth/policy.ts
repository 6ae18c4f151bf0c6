/**
 * Who may see a service: `public` everyone; `org` members and admins of the container's organisation;
 * `project` members and admins of its project (and admins of its organisation); `owner` the user who
 * started the container. Anything else, or an owner the platform never named, is served to nobody.
 */
import type { Route } from '../store/store.ts';

/** A signed-in user, as the gateway's session says. */
export interface Viewer {
  userId: string;
  username: string;
  /** Grants from the user token's scope, e.g. `org:<oid>:member`, `project:<pid>:admin`. */
  grants: ReadonlySet<string>;
  /** Epoch seconds when the session this viewer came from ends. */
  sessionExp?: number;
}

/** The grants, indexed by id, once per viewer (a session's viewer object lives in the session cache). */
interface Membership {
  orgs: ReadonlySet<string>;
  orgAdmins: ReadonlySet<string>;
  projects: ReadonlySet<string>;
}
const memberships = new WeakMap<ReadonlySet<string>, Membership>();
const GRANT = /^(org|project):([^:]+):(member|admin)$/;

function membershipOf(grants: ReadonlySet<string>): Membership {
  let m = memberships.get(grants);
  if (!m) {
    const orgs = new Set<string>();
    const orgAdmins = new Set<string>();
    const projects = new Set<string>();
    for (const grant of grants) {
      const [, kind, id, role] = GRANT.exec(grant) ?? [];
      if (!id) continue;
      if (kind === 'project') projects.add(id);
      else {
        orgs.add(id);
        if (role === 'admin') orgAdmins.add(id);
      }
    }
    m = { orgs, orgAdmins, projects };
    memberships.set(grants, m);
  }
  return m;
}

export function mayAccess(
  viewer: Viewer | undefined,
  route: Pick<Route, 'access' | 'orgId' | 'projectId' | 'ownerId'>,
): boolean {
  switch (route.access) {
    case 'public':
      return true;
    case 'org':
      return viewer !== undefined && membershipOf(viewer.grants).orgs.has(route.orgId);
    case 'project': {
      if (viewer === undefined) return false;
      const m = membershipOf(viewer.grants);
      return m.projects.has(route.projectId) || m.orgAdmins.has(route.orgId);
    }
    case 'owner':
      return viewer !== undefined && route.ownerId !== '' && viewer.userId === route.ownerId;
    default:
      return false; // a level this gateway does not know: fail closed
  }
}
