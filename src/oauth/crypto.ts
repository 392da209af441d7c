import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/**
 * Secrets at rest: MOCO keys (and client secrets) are sealed with AES-256-GCM under a key derived
 * from the operator's secret; tokens, codes and CSRF values are random and stored only as SHA-256.
 * A ciphertext names the key that sealed it, so a new secret can be introduced while the old
 * ones still open what they sealed (rotation), and carries its purpose as associated data, so a
 * ciphertext copied into another row or field does not open.
 */

const VERSION = "v1";
export const MIN_SECRET_LENGTH = 32;

export interface SealKey {
  id: string;
  key: Buffer;
}

export class Keyring {
  private readonly keys = new Map<string, Buffer>();
  readonly current: SealKey;
  private tagKey: Buffer | undefined;

  /** `secrets[0]` seals; every entry opens. Each needs 32+ characters (e.g. `openssl rand -base64 48`). */
  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error("the OAuth keyring needs at least one secret");
    const derived = secrets.map((secret) => {
      if (secret.length < MIN_SECRET_LENGTH) {
        throw new Error(`an OAuth secret needs at least ${MIN_SECRET_LENGTH} characters`);
      }
      const key = Buffer.from(
        hkdfSync("sha256", secret, "moco-leads-mcp/oauth", "aes-256-gcm key for stored secrets", 32),
      );
      return { id: createHash("sha256").update(key).digest("hex").slice(0, 8), key };
    });
    for (const { id, key } of derived) this.keys.set(id, key);
    this.current = derived[0] as SealKey;
  }

  seal(plaintext: string, purpose: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.current.key, iv);
    cipher.setAAD(Buffer.from(purpose, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.current.id, iv.toString("base64url"), body.toString("base64url")].join(".");
  }

  /** The plaintext, or undefined when the ciphertext is malformed, tampered with, or its key is gone. */
  open(sealed: string, purpose: string): string | undefined {
    const [version, id, ivText, bodyText, extra] = sealed.split(".");
    if (version !== VERSION || extra !== undefined || !id || !ivText || !bodyText) return undefined;
    const key = this.keys.get(id);
    if (!key) return undefined;
    const iv = Buffer.from(ivText, "base64url");
    const body = Buffer.from(bodyText, "base64url");
    if (iv.length !== 12 || body.length < 16) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAAD(Buffer.from(purpose, "utf8"));
      decipher.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString(
        "utf8",
      );
    } catch {
      return undefined;
    }
  }

  /**
   * A keyed hash of `value` (hex): the same on every instance with the same current secret, and no
   * dictionary of addresses reverses it without the secret (a plain SHA-256 of an IPv4 address would be).
   */
  tag(value: string, purpose: string): string {
    this.tagKey ??= Buffer.from(
      hkdfSync("sha256", this.current.key, "moco-leads-mcp/oauth", "hmac key for tags", 32),
    );
    return createHmac("sha256", this.tagKey).update(`${purpose}\0${value}`, "utf8").digest("hex");
  }

  /** Whether a ciphertext was sealed with an older key and should be sealed anew. */
  isStale(sealed: string): boolean {
    return sealed.split(".")[1] !== this.current.id;
  }
}

/** A random opaque value with a readable prefix (so a leaked one can be recognised by scanners). */
export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString("base64url")}`;
}

export const sha256 = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

/** Equal over digests: neither content nor length leaks through timing. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(
    createHash("sha256").update(a, "utf8").digest(),
    createHash("sha256").update(b, "utf8").digest(),
  );
}

/** RFC 7636: BASE64URL(SHA256(verifier)) === challenge, for a verifier of the allowed form. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return false;
  return safeEqual(createHash("sha256").update(verifier, "ascii").digest("base64url"), challenge);
}
