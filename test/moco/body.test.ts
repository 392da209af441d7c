import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { apiPath } from "../../src/moco/client.js";
import { MocoError } from "../../src/moco/errors.js";
import { clientFor, startUpstream, type Upstream } from "../support/upstream.js";

/** How one attempt reads a compressed body (send.ts), against a stand-in MOCO over TCP. */
const upstreams: Upstream[] = [];
afterEach(async () => {
  await Promise.all(upstreams.splice(0).map((u) => u.close()));
});
const start = async (...args: Parameters<typeof startUpstream>) => {
  const u = await startUpstream(...args);
  upstreams.push(u);
  return u;
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail("expected a MocoError"),
    (e: unknown) => {
      expect(e).toBeInstanceOf(MocoError);
      return e as MocoError;
    },
  );
const packed = (status: number, encoding: string, body: Buffer) => (_req: unknown, res: ServerResponse) => {
  res.writeHead(status, { "content-type": "application/json", "content-encoding": encoding });
  res.end(body);
};

describe("a compressed body", () => {
  it("packed twice (gzip, then br) is unpacked last coding first", async () => {
    const body = brotliCompressSync(gzipSync(JSON.stringify({ id: 7, name: "Twice" })));
    const up = await start(packed(200, "gzip, br", body));
    const moco = clientFor(up.url);
    expect((await moco.get(apiPath("deals", 7))).data).toEqual({ id: 7, name: "Twice" });
    await moco.close();
  });

  it("on an error answer is unpacked too, so MOCO's message is shown", async () => {
    const up = await start(
      packed(422, "gzip", gzipSync(JSON.stringify({ name: ["muss ausgefüllt werden"] }))),
    );
    const moco = clientFor(up.url);
    const error = await failure(moco.put(apiPath("deals", 7), { name: "" }));
    expect(error.kind).toBe("validation");
    expect(error.fields).toEqual({ name: ["muss ausgefüllt werden"] });
    await moco.close();
  });

  it("that is empty is an empty answer, not a failure to unpack", async () => {
    const up = await start(packed(200, "gzip", Buffer.alloc(0)));
    const moco = clientFor(up.url);
    expect((await moco.get(apiPath("deals", 7))).data).toBeNull();
    await moco.close();
  });

  it("that does not unpack is named with its coding", async () => {
    const up = await start(packed(200, "gzip", Buffer.from("this is not gzip at all")));
    const moco = clientFor(up.url, { maxRetries: 0 });
    const error = await failure(moco.get(apiPath("deals", 7)));
    expect(error.kind).toBe("server");
    expect(error.message).toMatch(/marked Content-Encoding gzip, but it does not unpack/);
    await moco.close();
  });

  it("whose connection drops half-way is a lost answer, not a body that does not unpack", async () => {
    // Random text barely compresses: half of it is well over one socket write.
    const whole = gzipSync(JSON.stringify({ notes: randomBytes(100_000).toString("hex") }));
    const up = await start((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.write(whole.subarray(0, Math.floor(whole.length / 2)), () => res.socket?.destroy());
    });
    const moco = clientFor(up.url, { maxRetries: 0 });
    const error = await failure(moco.get(apiPath("deals", 7)));
    expect(error.kind).toBe("network");
    await moco.close();
  });

  it("that unpacks beyond the cap is refused at the cap (a 64 MB bomb against a 1 MB cap)", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(256 * 1024);
    const up = await start(packed(200, "gzip", bomb));
    const moco = clientFor(up.url, { maxResponseBytes: 1024 * 1024, maxRetries: 0 });
    const error = await failure(moco.get(apiPath("deals", 7)));
    expect(error.message).toMatch(/exceeded 1 MB unpacked and was discarded/);
    await moco.close();
  });

  it("that declares a length over the cap is refused before it is read, however slowly it would come", async () => {
    const up = await start((_req, res) => {
      // 64 MB promised, 10 bytes sent, then nothing: reading it would wait for the request timeout.
      res.writeHead(200, { "content-type": "application/json", "content-length": String(64 * 1024 * 1024) });
      res.write("[        ");
    });
    const moco = clientFor(up.url, {
      maxResponseBytes: 1024 * 1024,
      maxRetries: 0,
      requestTimeoutMs: 60_000,
    });
    const error = await failure(moco.get(apiPath("deals", 7)));
    expect(error.message).toMatch(/exceeded 1 MB and was discarded/);
    await moco.close();
  });
});
