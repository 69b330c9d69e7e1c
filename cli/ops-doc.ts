/**
 * docs/ops.md, rendered from the op registry (kernels/src/registry.ts). `renderOpsDoc()` is a
 * pure function: `npm run docs:ops` writes its text to docs/ops.md, and test/docs/ops-doc.test.ts
 * fails when the file and the registry disagree.
 *
 *   node dist/cli/ops-doc.js               prints the Markdown
 *   node dist/cli/ops-doc.js docs/ops.md   writes it there (temporary file, then rename)
 */

import { rename, writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import {
  analysisOp,
  DETECTION_OPS,
  describeAllowed,
  MAX_STEPS,
  type OpCategory,
  type OpSpec,
  ops,
  type ParamSpec,
  type Params,
  parsePipeline,
} from "@tessera/kernels";
import { DEFAULT_LIMITS } from "../edge/config.js";

/** Section titles, in the order the registry first uses each category. */
const CATEGORY_TITLES: Record<OpCategory, string> = {
  blur: "Blur, sharpen and convolution",
  edge: "Edges",
  colour: "Colour",
  tone: "Tone",
  threshold: "Threshold",
  analysis: "Analysis (data, not an image)",
};

/**
 * One example pipeline per op, chosen to show a typical value. An op missing here gets its
 * params at their defaults. Every example must parse (the test checks).
 */
const EXAMPLES: Readonly<Record<string, string>> = {
  "box-blur": "box-blur(radius=3)",
  "gaussian-blur": "gaussian-blur(sigma=2)",
  sharpen: "sharpen(sigma=1.5, amount=2)",
  median: "median(radius=2)",
  convolve: "convolve(kernel=[1,2,1,2,4,2,1,2,1])",
  canny: "canny(low=40, high=120)",
  grayscale: "grayscale(mode=rec601)",
  brightness: "brightness(delta=20)",
  contrast: "contrast(factor=1.3)",
  gamma: "gamma(gamma=1.8)",
  saturation: "saturation(factor=1.5)",
  "hue-rotate": "hue-rotate(degrees=90)",
  fast: "fast(threshold=30)",
  corners: "corners(max=200, min-distance=8)",
  "hough-lines": "hough-lines(threshold=100)",
  components: "components(min-area=20)",
  "detect-objects": "detect-objects(score=0.5, classes=person)",
  sepia: "sepia(amount=0.8)",
  threshold: "threshold(value=100)",
  posterize: "posterize(levels=6)",
  normalize: "normalize(low=2, high=98)",
};

const KIND_NOTES = {
  point: "point",
  local: "local",
  global: "global (a stage ends here)",
  analysis: "analysis (returns JSON; the last step only)",
} as const;

function valueText(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(",")}]` : String(value);
}

/** The example pipeline of `op` (text form). */
export function exampleFor(op: OpSpec): string {
  const curated = EXAMPLES[op.name];
  if (curated !== undefined) return curated;
  const args = op.params.filter((p) => p.default !== null).map((p) => `${p.name}=${valueText(p.default)}`);
  return args.length === 0 ? op.name : `${op.name}(${args.join(", ")})`;
}

/** Every op's example, in registry order. */
export function opExamples(): { op: string; example: string }[] {
  return [...ops.values()].map((op) => ({ op: op.name, example: exampleFor(op) }));
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function typeName(p: ParamSpec): string {
  switch (p.type) {
    case "int":
      return "integer";
    case "number":
      return "number";
    case "number?":
      return "number, optional";
    case "enum":
      return "enum";
    case "kernel":
      return "kernel";
    case "labels":
      return "labels";
  }
}

function defaultText(p: ParamSpec): string {
  if (p.default === null) return "derived (see description)";
  return `\`${valueText(p.default)}\``;
}

function renderOp(op: OpSpec): string[] {
  const lines = [`### ${op.name}`, "", op.description, ""];
  const defaults: Params = parsePipeline(op.name)[0]?.params ?? {};
  const halo = op.radius(defaults);
  const facts = [`Kind: ${KIND_NOTES[op.kind]}`];
  if (halo > 0) facts.push(`halo at the defaults: ${halo} px`);
  if (DETECTION_OPS.has(op.name)) facts.push("runs on windows of the whole image, in colour ([detection](detection.md))");
  else if (op.kind === "analysis" && !analysisOp(op.name)) facts.push("*not available yet*");
  lines.push(`${facts.join("; ")}.`, "");
  if (op.params.length === 0) {
    lines.push("No params.", "");
  } else {
    lines.push("| param | type | allowed | default | description |", "|---|---|---|---|---|");
    for (const p of op.params) {
      lines.push(`| \`${p.name}\` | ${typeName(p)} | ${cell(describeAllowed(p))} | ${defaultText(p)} | ${cell(p.description)} |`);
    }
    lines.push("");
  }
  lines.push(`Example: \`${exampleFor(op)}\``, "");
  return lines;
}

/** The whole of docs/ops.md. Pure: the same registry gives the same text. */
export function renderOpsDoc(): string {
  const all = [...ops.values()];
  const categories = [...new Set(all.map((op) => op.category))];
  const lines = [
    "# Ops",
    "",
    "<!-- Generated from the op registry (kernels/src/registry.ts) by `npm run docs:ops`: do not edit by hand. -->",
    "",
    `Tessera has ${all.length} ops. This page is rendered from the op registry, the same table that`,
    "validates pipelines in the gateway, the CLI and the UI; `tessera ops` prints it on a terminal,",
    "`tessera ops --json` and `GET /v1/ops` as JSON.",
    "",
    "A pipeline is a list of steps, written as text or as JSON:",
    "",
    "```",
    "gaussian-blur(sigma=2) | sobel",
    '[{"op":"gaussian-blur","sigma":2},{"op":"sobel"}]',
    "```",
    "",
    "A param left out takes its default; an unknown param, or a value outside its range, is an",
    "error that names the step, the param, what is allowed and the default. A kernel is written",
    `\`[a,b,c,...]\` in the text form. \`@tessera/kernels\` accepts up to ${MAX_STEPS} steps, the gateway`,
    `up to ${DEFAULT_LIMITS.maxSteps} by default (\`TESSERA_MAX_STEPS\`).`,
    "",
    "Kinds: **point** ops work pixel by pixel; **local** ops read a neighbourhood, so tiles are cut",
    "with a halo of the pipeline's summed radii; **global** ops need the whole image, so the",
    "engine ends a stage at each one and reduces the tiles' results (a luma histogram, or canny's",
    "hysteresis) before the next stage. Borders replicate the edge pixel, alpha is never changed,",
    "and results round half up, then clamp. **analysis** ops return data (keypoints, lines,",
    "components, detections) instead of an image, computed on Rec.709 luma (the `grayscale` op's",
    "output) after the steps before them (the detectors see colour); one may only be the last step. Its result is JSON,",
    '`{"width","height","pipeline","op", ...data}` (`tessera process ... -o OUT.json`, or',
    "`GET /v1/jobs/{id}/result?format=json`), or the input image with the data drawn on it (any",
    "image extension or `format`). Ops marked *not available yet*, if any, are accepted by the parser",
    "and refused when a job is submitted. See [the user guide](user-guide.md#analysis-ops).",
    "",
    "| op | category | kind | params |",
    "|---|---|---|---|",
    ...all.map(
      (op) =>
        `| [\`${op.name}\`](#${op.name}) | ${op.category} | ${op.kind} | ${op.params.map((p) => `\`${p.name}\``).join(", ") || "none"} |`,
    ),
    "",
  ];
  for (const category of categories) {
    lines.push(`## ${CATEGORY_TITLES[category]}`, "");
    for (const op of all.filter((o) => o.category === category)) lines.push(...renderOp(op));
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** `node dist/cli/ops-doc.js [OUT]`: print, or write OUT. */
async function cli(args: string[]): Promise<void> {
  const text = renderOpsDoc();
  const [out] = args;
  if (out === undefined) {
    process.stdout.write(text);
    return;
  }
  const temp = `${out}.tmp.${process.pid}`;
  await writeFile(temp, text);
  await rename(temp, out);
  process.stderr.write(`wrote ${out}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await cli(process.argv.slice(2));
}
