/**
 * The OpenAPI 3.1 document, generated from the routes as the app declares them (each route's
 * zod schemas for its parameters and responses, edge/schemas.ts), plus the components that
 * come from the sources the gateway validates with: the op registry (each step's params,
 * ranges and defaults) and the limits in force. Nothing here lists a route by hand.
 */

import type { OpenAPIHono } from "@hono/zod-openapi";
import { ops, type ParamSpec } from "@tessera/kernels";
import type { Coordinator } from "../engine/coordinator.js";
import { createApp } from "./app.js";
import type { Limits } from "./config.js";
import type { Gateway } from "./gateway.js";

function paramSchema(p: ParamSpec): Record<string, unknown> {
  switch (p.type) {
    case "int":
      return { type: "integer", minimum: p.min, maximum: p.max, default: p.default, description: p.description };
    case "number":
      return { type: "number", minimum: p.min, maximum: p.max, default: p.default, description: p.description };
    case "number?":
      return { type: "number", minimum: p.min, maximum: p.max, description: p.description };
    case "enum":
      return { type: "string", enum: [...p.values], default: p.default, description: p.description };
    case "labels":
      return { type: "string", default: p.default, description: `${p.description} Labels: ${p.values.join(", ")}.` };
    case "kernel":
      return {
        type: "array",
        items: { type: "number" },
        minItems: 1,
        maxItems: p.maxSide * p.maxSide,
        default: [...p.default],
        description: p.description,
      };
  }
}

/** The components no route schema carries: the pipeline's JSON form (from the op registry) and the bearer scheme. */
export function declareComponents(registry: OpenAPIHono["openAPIRegistry"], limits: Limits): void {
  const steps = [...ops.values()].map((op) => ({
    type: "object" as const,
    title: op.name,
    description: `${op.description} (${op.kind})`,
    required: ["op"],
    additionalProperties: false,
    properties: { op: { const: op.name }, ...Object.fromEntries(op.params.map((p) => [p.name, paramSchema(p)])) },
  }));
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "Only when the gateway has TESSERA_API_TOKEN or TESSERA_API_TOKENS set. Each token owns the jobs it submits; other tokens get 404 for them.",
  });
  registry.registerComponent("schemas", "Step", { oneOf: steps });
  registry.registerComponent("schemas", "Pipeline", {
    type: "array",
    items: { $ref: "#/components/schemas/Step" },
    minItems: 1,
    maxItems: limits.maxSteps,
  });
}

export type OpenApiDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

/** The document of an app made by createApp: every route it declared, with its schemas. */
// biome-ignore lint/suspicious/noExplicitAny: any app's env
export function documentOf(app: OpenAPIHono<any>): OpenApiDocument {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Tessera",
      version: "1",
      description: "Distributed image processing: submit an image and a pipeline, follow its tiles, download the result.",
    },
    security: [{}, { bearer: [] }],
  });
}

/**
 * The document a gateway with these limits serves, without a gateway: the app is built as
 * `tessera serve` builds it (the WebSocket route included) over a gateway that only declares.
 * No request reaches it; only the route declarations are read.
 */
export function openApiDocument(limits: Limits): OpenApiDocument {
  const coordinator = { list: () => [], subscribeAll: () => () => {} } as unknown as Coordinator;
  const declaring = { limits, coordinator } as unknown as Gateway;
  const upgradeWebSocket = (() => async (_c: unknown, next: () => Promise<void>) => next()) as unknown as NonNullable<
    Parameters<typeof createApp>[1]
  >["upgradeWebSocket"];
  return documentOf(createApp(declaring, { upgradeWebSocket }));
}

/** A human-readable page of the API, from the same document. */
export function apiPage(doc: OpenApiDocument): string {
  const paths = (doc.paths ?? {}) as Record<
    string,
    Record<string, { summary?: string; responses?: Record<string, { description?: string }> }>
  >;
  const esc = (s: string) => s.replace(/[&<>]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[ch] ?? ch);
  const rows = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(
      ([method, op]) =>
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${esc(path)}</code></td><td>${esc(op.summary ?? "")}</td><td>${Object.entries(
          op.responses ?? {},
        )
          .map(([s, r]) => `${s} ${esc(r.description ?? "")}`)
          .join("<br>")}</td></tr>`,
    ),
  );
  const opRows = [...ops.values()].map(
    (op) =>
      `<tr><td><code>${op.name}</code></td><td>${op.kind}</td><td>${esc(op.description)}</td><td>${op.params
        .map(
          (p) =>
            `<code>${p.name}</code> ${p.type === "enum" ? p.values.join("|") : "min" in p ? `${p.min}..${p.max}` : ""} (default ${esc(JSON.stringify(p.default))})`,
        )
        .join("<br>")}</td></tr>`,
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Tessera API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:90%}</style></head>
<body><h1>Tessera API v1</h1><p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a>. Errors are JSON <code>{"error":{"code","message"}}</code>.</p>
<h2>Routes</h2><table><tr><th></th><th>path</th><th>what</th><th>responses</th></tr>${rows.join("")}</table>
<h2>Ops</h2><table><tr><th>op</th><th>kind</th><th>what</th><th>params</th></tr>${opRows.join("")}</table></body></html>`;
}
