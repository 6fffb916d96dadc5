// @peculiar/x509 loads tsyringe, which refuses to start without the Reflect metadata
// API. reflect-metadata is not a dependency, so provide the calls tsyringe and tslib
// make, unless a real polyfill is already present. Import this module before the library.
type Key = string | symbol | undefined;
type MetadataMap = Map<unknown, unknown>;

const store = new WeakMap<object, Map<Key, MetadataMap>>();

function ownMap(target: object, key: Key, create: boolean): MetadataMap | undefined {
  let byKey = store.get(target);
  if (!byKey) {
    if (!create) return undefined;
    byKey = new Map();
    store.set(target, byKey);
  }
  let map = byKey.get(key);
  if (!map && create) {
    map = new Map();
    byKey.set(key, map);
  }
  return map;
}

function getOwnMetadata(metadataKey: unknown, target: object, key?: Key): unknown {
  return ownMap(target, key, false)?.get(metadataKey);
}

function getMetadata(metadataKey: unknown, target: object, key?: Key): unknown {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
    const map = ownMap(t, key, false);
    if (map?.has(metadataKey)) return map.get(metadataKey);
  }
  return undefined;
}

function defineMetadata(metadataKey: unknown, value: unknown, target: object, key?: Key): void {
  ownMap(target, key, true)?.set(metadataKey, value);
}

function hasMetadata(metadataKey: unknown, target: object, key?: Key): boolean {
  return getMetadata(metadataKey, target, key) !== undefined;
}

function metadata(metadataKey: unknown, value: unknown) {
  return (target: object, key?: Key): void => defineMetadata(metadataKey, value, target, key);
}

const reflect = Reflect as unknown as Record<string, unknown>;
if (typeof reflect.getMetadata !== 'function') {
  Object.assign(reflect, { getOwnMetadata, getMetadata, defineMetadata, hasMetadata, metadata });
}
