import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./http-errors.js";

/**
 * Optional bearer-token auth. GET requests may carry the token as `?access_token=` instead,
 * because EventSource and download links cannot set headers.
 */
export function bearerToken(token: string): MiddlewareHandler {
  const expected = Buffer.from(token);
  const matches = (given: string | undefined): boolean => {
    if (!given) return false;
    const g = Buffer.from(given);
    return g.length === expected.length && timingSafeEqual(g, expected);
  };
  return async (c, next) => {
    const header = c.req.header("authorization");
    const fromHeader = header?.startsWith("Bearer ") ? header.slice(7) : undefined;
    const fromQuery = c.req.method === "GET" ? c.req.query("access_token") : undefined;
    if (!matches(fromHeader) && !matches(fromQuery)) {
      throw new HttpError(401, "UNAUTHORIZED", "missing or wrong token: send Authorization: Bearer <TESSERA_API_TOKEN>");
    }
    await next();
  };
}
