// The commands the docs show must exist. Every line of a fenced `sh` block in README.md,
// docs/user-guide.md and docs/operations.md that runs `tessera` (or `node bin/tessera.js`) is
// either run (`help`, `--help`, `ops`: it must exit 0) or checked against its subcommand's
// --help (the subcommand must exist, and every flag it uses must be listed there). Every curl
// line's path, with its method, must be in the OpenAPI document. The docs are read when the
// test runs: others edit them.

import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../edge/config.js";
import { openApiDocument } from "../../edge/openapi.js";
import { tesseraBin } from "../../infra/local/tessera-process.js";

const exec = promisify(execFile);
const ROOT = new URL("../../", import.meta.url);
const DOCS = ["README.md", "docs/user-guide.md", "docs/operations.md"];
/** Docs this suite owns must show commands; README's content is up to its editors. */
const MUST_HAVE_COMMANDS = new Set(["docs/user-guide.md", "docs/operations.md"]);
/** Routes the gateway serves that its OpenAPI document does not list: the document itself and its HTML page. */
const SELF_DESCRIBED = new Set(["/v1/openapi.json", "/v1/docs"]);

interface DocLine {
  doc: string;
  line: number;
  text: string;
}

/** The lines of every fenced `sh` block of `doc`, continuation lines (`\`) joined. */
function shLines(doc: string): DocLine[] {
  const lines = readFileSync(new URL(doc, ROOT), "utf8").split("\n");
  const out: DocLine[] = [];
  let inSh = false;
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const fence = /^\s*```\s*([\w-]*)/.exec(raw);
    if (fence) {
      if (fenced) {
        fenced = false;
        inSh = false;
      } else {
        fenced = true;
        inSh = fence[1] === "sh";
      }
      continue;
    }
    if (!inSh) continue;
    let text = raw.trim();
    const start = i + 1;
    while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    if (text !== "") out.push({ doc, line: start, text });
  }
  return out;
}

/**
 * A shell line as its simple commands, each a list of words: quotes and backslashes are
 * honoured, `# comments` dropped, and `|`, `;`, `&`, `(`, `)` end a command. A redirection's
 * target is dropped. Leading `VAR=value` assignments are removed.
 */
function simpleCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let dropNext = false;
  const endWord = () => {
    if (inWord && !dropNext) words.push(word);
    else if (inWord) dropNext = false;
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string)) words.shift();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += text.slice(i + 1, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        word += text[i];
        i++;
      }
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      endWord();
    } else if (c === "#" && !inWord) {
      break;
    } else if (c === ">" || c === "<") {
      endWord();
      dropNext = true;
    } else if ("|;&()".includes(c)) {
      endCommand();
    } else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}

type Check = { kind: "tessera"; args: string[] } | { kind: "curl"; args: string[] };

function checksOf(line: DocLine): Check[] {
  const checks: Check[] = [];
  for (const words of simpleCommands(line.text)) {
    if (words[0] === "tessera") checks.push({ kind: "tessera", args: words.slice(1) });
    else if (words[0] === "node" && words[1] === "bin/tessera.js") checks.push({ kind: "tessera", args: words.slice(2) });
    else if (words[0] === "curl") checks.push({ kind: "curl", args: words.slice(1) });
  }
  return checks;
}

// ─── tessera ──────────────────────────────────────────────────────────────────────────────────

async function tessera(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // No settings leak in from the developer's shell.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TESSERA_")));
  try {
    const { stdout, stderr } = await exec(process.execPath, [tesseraBin(), ...args], {
      env,
      timeout: 30_000,
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

const helps = new Map<string, ReturnType<typeof tessera>>();
const helpOf = (sub: string) => {
  let help = helps.get(sub);
  if (!help) {
    help = tessera([sub, "--help"]);
    helps.set(sub, help);
  }
  return help;
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** What is wrong with `tessera ARGS` as the docs show it, or undefined. */
async function tesseraProblem(args: string[]): Promise<string | undefined> {
  const sub = args[0] ?? "help";
  if (sub === "help" || sub === "ops" || args.includes("--help") || args.includes("-h")) {
    const run = await tessera(args);
    if (run.code !== 0) return `\`tessera ${args.join(" ")}\` exited ${run.code}: ${run.stderr.trim()}`;
    if (run.stdout.trim() === "") return `\`tessera ${args.join(" ")}\` printed nothing`;
    return undefined;
  }
  const help = await helpOf(sub);
  if (help.code !== 0)
    return `there is no \`tessera ${sub}\` (\`tessera ${sub} --help\` exited ${help.code}: ${help.stderr.trim()})`;
  for (const arg of args.slice(1)) {
    if (!/^--?[A-Za-z]/.test(arg)) continue;
    const flag = arg.split("=")[0] as string;
    const listed = flag.startsWith("--")
      ? new RegExp(`(^|[\\s\\[,|])${escapeRegExp(flag)}(?![\\w-])`, "m")
      : new RegExp(`(^|\\s)${escapeRegExp(flag)}(?=[,\\s])`, "m");
    if (!listed.test(help.stdout)) {
      return `\`tessera ${sub}\` has no ${flag}: it is not in \`tessera ${sub} --help\` (bin/tessera.js runs dist/: \`npm run build\` first if the flag is new)`;
    }
  }
  return undefined;
}

// ─── curl ─────────────────────────────────────────────────────────────────────────────────────

const paths = openApiDocument(DEFAULT_LIMITS).paths as Record<string, Record<string, unknown>>;
/** curl flags that take a value. */
const CURL_VALUE_FLAGS = new Set(["-F", "--form", "-H", "--header", "-o", "--output", "-X", "--request", "-d", "--data", "-u"]);

/** `ID`, `$ID`, `<id>`, `:id` or a UUID segment → `{id}`. */
function normalisePath(path: string): string {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  return path
    .split("/")
    .map((s) => (/^(\$?ID|\$\{ID\}|<id>|:id|\{id\})$/i.test(s) || uuid.test(s) ? "{id}" : s))
    .join("/");
}

function curlProblem(args: string[]): string | undefined {
  let method = "get";
  let url: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (CURL_VALUE_FLAGS.has(arg)) {
      const value = args[++i] ?? "";
      if (arg === "-X" || arg === "--request") method = value.toLowerCase();
      else if ((arg === "-F" || arg === "--form" || arg === "-d" || arg === "--data") && method === "get") method = "post";
      continue;
    }
    if (arg.startsWith("-")) continue;
    url ??= arg;
  }
  if (url === undefined) return "no URL";
  const match = /^(?:https?:\/\/)?[^/]+(\/[^?#]*)/.exec(url);
  if (!match) return `cannot find a path in ${url}`;
  const path = normalisePath(match[1] as string);
  if (SELF_DESCRIBED.has(path) && method === "get") return undefined;
  const route = paths[path];
  if (!route) return `${path} is not a path of the OpenAPI document (edge/openapi.ts)`;
  if (!(method in route)) return `${path} has no ${method.toUpperCase()} in the OpenAPI document (edge/openapi.ts)`;
  return undefined;
}

// ─── the tests ────────────────────────────────────────────────────────────────────────────────

describe.each(DOCS)("%s", (doc) => {
  const lines = shLines(doc)
    .map((line) => ({ line, checks: checksOf(line) }))
    .filter((l) => l.checks.length > 0);

  if (MUST_HAVE_COMMANDS.has(doc)) {
    it("shows commands", () => {
      expect(lines.length, `${doc} has no tessera or curl lines in sh blocks`).toBeGreaterThan(0);
    });
  }

  it.each(lines.map((l) => ({ ...l, name: `${doc}:${l.line.line} ${l.line.text}` })))("$name", async ({ line, checks }) => {
    for (const check of checks) {
      const problem = check.kind === "tessera" ? await tesseraProblem(check.args) : curlProblem(check.args);
      if (problem !== undefined) expect.fail(`${line.doc}:${line.line}: \`${line.text}\`: ${problem}`);
    }
  });
});

describe("the line reader", () => {
  it("keeps quoted pipelines whole and splits real pipes", () => {
    expect(simpleCommands(`tessera process a.jpg -o b.png -p "blur | sobel" # note`)).toEqual([
      ["tessera", "process", "a.jpg", "-o", "b.png", "-p", "blur | sobel"],
    ]);
    expect(simpleCommands(`TOKEN=x tessera ops --json | jq -r '.[].name' > ops.txt`)).toEqual([
      ["tessera", "ops", "--json"],
      ["jq", "-r", ".[].name"],
    ]);
  });

  it("catches a flag that does not exist", async () => {
    expect(await tesseraProblem(["process", "a.jpg", "--no-such-flag"])).toMatch(/has no --no-such-flag/);
    expect(await tesseraProblem(["no-such-command", "--x"])).toMatch(/there is no `tessera no-such-command`/);
  });

  it("catches a curl path the API does not have", () => {
    expect(curlProblem(["localhost:8080/v1/jobs/ID/events"])).toBeUndefined();
    expect(curlProblem(["-X", "DELETE", "localhost:8080/v1/jobs/ID"])).toBeUndefined();
    expect(curlProblem(["localhost:8080/v1/nope"])).toMatch(/not a path/);
    expect(curlProblem(["-X", "PUT", "localhost:8080/v1/jobs/ID"])).toMatch(/has no PUT/);
  });
});
