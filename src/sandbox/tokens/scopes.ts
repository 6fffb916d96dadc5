// WLCG storage scopes: `storage.<action>:<path>`, where the path is the top of the
// tree the scope covers ('/' covers everything).

export type StorageAction = 'read' | 'create' | 'modify' | 'stage';

interface StorageScope {
  action: string;
  path: string;
}

function trimSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function parseStorageScope(item: string): StorageScope | undefined {
  const match = /^storage\.([a-z]+)(?::(\/.*))?$/.exec(item);
  if (!match?.[1]) return undefined;
  return { action: match[1], path: trimSlash(match[2] ?? '/') };
}

export function scopeItems(scope: string): string[] {
  return scope.split(/\s+/).filter((s) => s.length > 0);
}

/** True when `path` is `base` or lies below it. */
export function pathWithin(path: string, base: string): boolean {
  const b = trimSlash(base);
  return b === '/' || path === b || path.startsWith(`${b}/`);
}

/** Does the space-separated `scope` grant `storage.<action>` on `path`? */
export function grantsStorage(scope: string, action: StorageAction, path: string): boolean {
  return scopeItems(scope).some((item) => {
    const parsed = parseStorageScope(item);
    return parsed?.action === action && pathWithin(path, parsed.path);
  });
}

/** Is `requested` one of `allowed`, or a storage scope narrowed to a sub-path of one? */
export function scopeAllowed(requested: string, allowed: string[]): boolean {
  const wanted = parseStorageScope(requested);
  return allowed.some((item) => {
    if (item === requested) return true;
    const granted = parseStorageScope(item);
    return wanted !== undefined && granted?.action === wanted.action && pathWithin(wanted.path, granted.path);
  });
}
