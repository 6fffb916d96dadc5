// RSE rows, attributes and protocols, and the JSON objects Rucio builds from them.
import type { Db } from './db.js';
import { rseNotFound } from './errors.js';
import { rucioDate } from './format.js';

export interface RseRow {
  id: string;
  name: string;
  rse_type: string;
  deterministic: number;
  volatile: number;
  staging_area: number;
  availability_read: number;
  availability_write: number;
  availability_delete: number;
  city: string | null;
  region_code: string | null;
  country_name: string | null;
  continent: string | null;
  time_zone: string | null;
  isp: string | null;
  asn: string | null;
  longitude: number | null;
  latitude: number | null;
  qos_class: string | null;
  created_at: number;
  updated_at: number;
}

type Priority = number | null;
export interface Protocol {
  scheme: string;
  hostname: string;
  port: number;
  prefix: string;
  impl: string;
  domains: {
    lan: { read: Priority; write: Priority; delete: Priority };
    wan: { read: Priority; write: Priority; delete: Priority; third_party_copy_read: Priority; third_party_copy_write: Priority };
  };
  extended_attributes: unknown;
}

export function findRse(db: Db, name: string): RseRow | undefined {
  return db.prepare('SELECT * FROM rses WHERE name = ?').get(name) as RseRow | undefined;
}

export function requireRse(db: Db, name: string, vo: string): RseRow {
  const rse = findRse(db, name);
  if (!rse) throw rseNotFound(name, vo);
  return rse;
}

export function rseById(db: Db, id: string): RseRow {
  return db.prepare('SELECT * FROM rses WHERE id = ?').get(id) as RseRow;
}

export function allRses(db: Db): RseRow[] {
  return db.prepare('SELECT * FROM rses ORDER BY name').all() as RseRow[];
}

export function availability(rse: RseRow): number {
  return (rse.availability_read ? 4 : 0) + (rse.availability_write ? 2 : 0) + (rse.availability_delete ? 1 : 0);
}

export function rseAttributes(db: Db, rseId: string): Record<string, unknown> {
  const rows = db.prepare('SELECT key, value FROM rse_attributes WHERE rse_id = ? ORDER BY key').all(rseId) as
    { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
}

export function setRseAttribute(db: Db, rseId: string, key: string, value: unknown): void {
  db.prepare('INSERT INTO rse_attributes (rse_id, key, value) VALUES (?, ?, ?) ON CONFLICT (rse_id, key) DO UPDATE SET value = excluded.value')
    .run(rseId, key, JSON.stringify(value));
}

/** Protocols sorted by hostname, scheme and port, as the settings object lists them. */
export function rseProtocols(db: Db, rseId: string): Protocol[] {
  const rows = db.prepare('SELECT * FROM rse_protocols WHERE rse_id = ? ORDER BY hostname, scheme, port').all(rseId) as
    { scheme: string; hostname: string; port: number; prefix: string; impl: string; domains: string; extended_attributes: string | null }[];
  return rows.map((r) => ({
    scheme: r.scheme,
    hostname: r.hostname,
    port: r.port,
    prefix: r.prefix,
    impl: r.impl,
    domains: JSON.parse(r.domains) as Protocol['domains'],
    extended_attributes: r.extended_attributes === null ? null : (JSON.parse(r.extended_attributes) as unknown),
  }));
}

/** One row of GET /rses/ (key order as Rucio 41 sends it). */
export function rseListEntry(rse: RseRow, vo: string): Record<string, unknown> {
  return {
    staging_area: !!rse.staging_area, ASN: rse.asn, deleted: false, id: rse.id, city: rse.city,
    longitude: rse.longitude, deleted_at: null, region_code: rse.region_code, latitude: rse.latitude,
    created_at: rucioDate(rse.created_at), rse: rse.name, country_name: rse.country_name,
    availability: availability(rse), updated_at: rucioDate(rse.updated_at), vo, continent: rse.continent,
    availability_read: !!rse.availability_read, rse_type: rse.rse_type, time_zone: rse.time_zone,
    availability_write: !!rse.availability_write, deterministic: !!rse.deterministic, ISP: rse.isp,
    availability_delete: !!rse.availability_delete, volatile: !!rse.volatile, qos_class: rse.qos_class,
  };
}

/** Column values as the RSE expression grammar compares them ('key=value' on a column). */
export function rseColumns(rse: RseRow, vo: string): Record<string, unknown> {
  return {
    rse: rse.name, id: rse.id, vo, rse_type: rse.rse_type, deterministic: !!rse.deterministic,
    volatile: !!rse.volatile, staging_area: !!rse.staging_area, city: rse.city, region_code: rse.region_code,
    country_name: rse.country_name, continent: rse.continent, time_zone: rse.time_zone, ISP: rse.isp, ASN: rse.asn,
    longitude: rse.longitude, latitude: rse.latitude, qos_class: rse.qos_class, availability: availability(rse),
    availability_read: !!rse.availability_read, availability_write: !!rse.availability_write,
    availability_delete: !!rse.availability_delete,
  };
}

export function lfn2pfnAlgorithm(attrs: Record<string, unknown>): string {
  return typeof attrs.lfn2pfn_algorithm === 'string' ? attrs.lfn2pfn_algorithm : 'hash';
}

/** The RSE settings object of GET /rses/<rse>. */
export function rseSettings(db: Db, rse: RseRow): Record<string, unknown> {
  const attrs = rseAttributes(db, rse.id);
  return {
    availability_delete: !!rse.availability_delete,
    availability_read: !!rse.availability_read,
    availability_write: !!rse.availability_write,
    credentials: null,
    deterministic: !!rse.deterministic,
    domain: ['lan', 'wan'],
    id: rse.id,
    lfn2pfn_algorithm: lfn2pfnAlgorithm(attrs),
    protocols: rseProtocols(db, rse.id).map((p) => ({
      hostname: p.hostname, scheme: p.scheme, port: p.port, prefix: p.prefix, impl: p.impl,
      domains: p.domains, extended_attributes: p.extended_attributes,
    })),
    qos_class: rse.qos_class,
    rse: rse.name,
    rse_type: rse.rse_type,
    sign_url: attrs.sign_url ?? null,
    staging_area: !!rse.staging_area,
    verify_checksum: attrs.verify_checksum ?? true,
    volatile: !!rse.volatile,
    availability: availability(rse),
  };
}
