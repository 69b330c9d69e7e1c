import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { HttpError } from "./http-errors.js";

/**
 * Bearer-token auth with one or more tokens. Each token is an owner: the jobs it submits are
 * its own, and the owner id stored with them is a hash of the token, never the token.
 *
 * `?access_token=` is taken only where a header cannot be sent: EventSource (`/events`), the
 * browser's WebSocket (`/ws`) and download links (`/result`). Anywhere else a token in the
 * URL would end up in proxy logs and browser history for nothing, so it is refused.
 */

declare module "hono" {
  interface ContextVariableMap {
    /** The caller's owner id, set by bearerTokens (absent when the gateway has no tokens). */
    owner: string;
  }
}

/** An owner id from a token: a one-way, fixed-length hash, so the token cannot be read back from a manifest. */
export function ownerOf(token: string): string {
  return createHash("sha256").update(`tessera-owner\0${token}`).digest("hex").slice(0, 32);
}

/** The routes whose clients cannot send headers: `.../jobs/:id/events`, `/ws` and `/result`. */
const QUERY_TOKEN_ROUTE = /\/jobs\/[^/]+\/(events|ws|result)$/;

/** The caller's owner id, or undefined when the gateway has no tokens (then job ids are the only key). */
export const callerOf = (c: Context): string | undefined => c.get("owner");

export function bearerTokens(tokens: readonly string[]): MiddlewareHandler {
  // Compared as hashes: equal lengths for timingSafeEqual, and the hash is the owner id anyway.
  const owners = tokens.map((t) => Buffer.from(ownerOf(t)));
  const match = (given: string | undefined): string | undefined => {
    if (!given) return undefined;
    const g = Buffer.from(ownerOf(given));
    let found: string | undefined;
    // Every token is compared, so the time taken does not say which one nearly matched.
    for (const o of owners) if (timingSafeEqual(g, o)) found = o.toString();
    return found;
  };
  return async (c, next) => {
    const header = c.req.header("authorization");
    const fromHeader = header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
    const queryAllowed = c.req.method === "GET" && QUERY_TOKEN_ROUTE.test(c.req.path);
    const fromQuery = c.req.query("access_token");
    const owner = match(fromHeader) ?? (queryAllowed ? match(fromQuery) : undefined);
    if (!owner) {
      const hint =
        fromQuery !== undefined && !queryAllowed
          ? "?access_token= is accepted only on /v1/jobs/{id}/events, /ws and /result; send Authorization: Bearer <token>"
          : "send Authorization: Bearer <token> (a token of TESSERA_API_TOKEN or TESSERA_API_TOKENS)";
      throw new HttpError(401, "UNAUTHORIZED", `missing or wrong token: ${hint}`);
    }
    c.set("owner", owner);
    await next();
  };
}
