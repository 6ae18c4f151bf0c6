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

export function mayAccess(
  viewer: Viewer | undefined,
  route: Pick<Route, 'access' | 'orgId' | 'projectId' | 'ownerId'>,
): boolean {
  switch (route.access) {
    case 'public':
      return true;
    case 'org':
      return (
        viewer !== undefined &&
        (viewer.grants.has(`org:${route.orgId}:member`) || viewer.grants.has(`org:${route.orgId}:admin`))
      );
    case 'project':
      return (
        viewer !== undefined &&
        (viewer.grants.has(`project:${route.projectId}:member`) ||
          viewer.grants.has(`project:${route.projectId}:admin`) ||
          viewer.grants.has(`org:${route.orgId}:admin`))
      );
    case 'owner':
      return viewer !== undefined && route.ownerId !== '' && viewer.userId === route.ownerId;
    default:
      return false; // a level this gateway does not know: fail closed
  }
}
