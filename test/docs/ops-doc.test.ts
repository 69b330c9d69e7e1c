// docs/ops.md is rendered from the op registry (cli/ops-doc.ts); this fails when the file and
// the registry disagree, and when an example on that page is not a valid pipeline.

import { readFileSync } from "node:fs";
import { ops, parsePipeline } from "@tessera/kernels";
import { describe, expect, it } from "vitest";
import { opExamples, renderOpsDoc } from "../../cli/ops-doc.js";

const OPS_MD = new URL("../../docs/ops.md", import.meta.url);

describe("docs/ops.md", () => {
  it("is what the op registry renders", () => {
    const file = readFileSync(OPS_MD, "utf8");
    expect(file, "docs/ops.md is out of date with the op registry: run `npm run docs:ops` to regenerate it").toBe(renderOpsDoc());
  });

  it("renders every op, with a heading, its params and an example", () => {
    const text = renderOpsDoc();
    for (const op of ops.values()) {
      expect(text).toContain(`\n### ${op.name}\n`);
      for (const p of op.params) expect(text).toContain(`| \`${p.name}\` |`);
      expect(text).toContain(`Example: \`${opExamples().find((e) => e.op === op.name)?.example}\``);
    }
  });

  it.each(opExamples())("the example of $op parses and runs that op", ({ op, example }) => {
    const steps = parsePipeline(example);
    expect(steps.map((s) => s.op)).toEqual([op]);
  });

  it("every example on the page parses", () => {
    const examples = [...renderOpsDoc().matchAll(/^Example: `([^`]+)`$/gm)].map((m) => m[1] as string);
    expect(examples).toHaveLength(ops.size);
    for (const example of examples) expect(() => parsePipeline(example), example).not.toThrow();
  });

  it("the pipelines in the page's introduction parse", () => {
    expect(parsePipeline("gaussian-blur(sigma=2) | sobel")).toEqual(
      parsePipeline('[{"op":"gaussian-blur","sigma":2},{"op":"sobel"}]'),
    );
  });
});
