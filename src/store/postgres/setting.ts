/**
 * MOCO_STORE=postgres://… (or postgresql://…): a team server's lead store in PostgreSQL. Parsed
 * here without loading the driver, so a start without PostgreSQL never reads `pg`.
 *
 *   postgres://user@db.example.com:5432/moco?schema=moco_leads&pool_max=10
 *
 * `schema` (default moco_leads) is the PostgreSQL schema holding this deployment's tables;
 * `pool_max` (default 10) bounds the connections of one process; `instances` (default 2) is how many
 * processes share one MOCO account's rate budget, which each keeps a share of while the database
 * cannot be reached (docs/deploy.md). These are taken out of the URL
 * before it reaches the driver; every other parameter (sslmode, …) is the driver's. A password
 * is best given by PGPASSWORD or ~/.pgpass instead of the URL; it never appears in a log line.
 */
export interface PostgresLocation {
  kind: "postgres";
  /** The connection URL as the driver gets it (our own parameters removed). */
  url: string;
  schema: string;
  poolMax: number;
  /** Processes expected to share a MOCO account (the `instances` parameter), when given. */
  instances?: number;
}

export const DEFAULT_SCHEMA = "moco_leads";
export const DEFAULT_POOL_MAX = 10;
export const POSTGRES_SCHEMES = ["postgres://", "postgresql://"] as const;

export function isPostgresUrl(value: string): boolean {
  const lower = value.toLowerCase();
  return POSTGRES_SCHEMES.some((scheme) => lower.startsWith(scheme));
}

/** The location a postgres URL names; bad `schema`/`pool_max` values are reported when the store opens. */
export function postgresLocation(value: string): PostgresLocation {
  const url = parse(value);
  if (!url) return { kind: "postgres", url: value, schema: DEFAULT_SCHEMA, poolMax: DEFAULT_POOL_MAX };
  const schema = url.searchParams.get("schema") ?? DEFAULT_SCHEMA;
  const poolMax = url.searchParams.get("pool_max");
  const instances = url.searchParams.get("instances");
  url.searchParams.delete("schema");
  url.searchParams.delete("pool_max");
  url.searchParams.delete("instances");
  return {
    kind: "postgres",
    url: url.toString(),
    schema,
    poolMax: poolMax === null ? DEFAULT_POOL_MAX : Number(poolMax),
    ...(instances === null ? {} : { instances: Number(instances) }),
  };
}

/** Why the location cannot be used as given, or undefined. */
export function postgresProblem(location: PostgresLocation): string | undefined {
  if (!parse(location.url)) return "the URL cannot be parsed";
  if (!SCHEMA_NAME.test(location.schema))
    return `schema "${location.schema}" is not a name of letters, digits and _ (at most 63, not starting with a digit)`;
  if (!Number.isInteger(location.poolMax) || location.poolMax < 1 || location.poolMax > 1000)
    return "pool_max must be a whole number from 1 to 1000";
  const { instances } = location;
  if (instances !== undefined && !(Number.isInteger(instances) && instances >= 1 && instances <= 1000))
    return "instances must be a whole number from 1 to 1000";
  return undefined;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** For logs and the admin listing: scheme, user, host, port, database and schema; never the password or parameters. */
export function describePostgres(location: PostgresLocation): string {
  const url = parse(location.url);
  if (!url) return `PostgreSQL (unparsable URL), schema ${quoteIdent(location.schema)}`;
  const user = url.username ? `${url.username}@` : "";
  return `${url.protocol}//${user}${url.host}${url.pathname}, schema ${quoteIdent(location.schema)}`;
}

/** A PostgreSQL identifier in double quotes (inner quotes doubled), so no name is read as SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function parse(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
