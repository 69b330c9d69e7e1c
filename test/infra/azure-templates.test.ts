// The Azure templates (infra/azure), checked as far as offline tools allow. No Bicep compiler
// can be had here: the CLI ships on NuGet and GitHub releases, and neither npm nor Debian has
// one. So the Bicep is read by the small structural parser below: top-level declarations
// (`param`, `var`, `resource <symbol> '<type>@<api>' = ...`, `module`, `output`) and, inside
// their values, object members and array items, found by bracket matching with comments and
// string literals skipped. cloud-init.yaml is read as text (its write_files entries by their
// indentation). This proves what the templates say, not that Azure accepts them: run
// `az bicep build` or `az deployment group what-if` for that where the CLI is installed.

import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENTS_QUEUE, TILES_QUEUE } from "../../engine/messages.js";
import { DEFAULT_CONTAINER, DEFAULT_QUEUE_SETTINGS } from "../../infra/azure/connect.js";

const exec = promisify(execFile);
const AZURE = fileURLToPath(new URL("../../infra/azure/", import.meta.url));
const BIN = fileURLToPath(new URL("../../bin/tessera.js", import.meta.url));

// ---------------------------------------------------------------- a structural Bicep reader

/** Bicep source twice over, index for index: comments blanked, and comments and strings blanked. */
class Source {
  readonly plain: string;
  readonly skeleton: string;

  constructor(readonly path: string) {
    const text = readFileSync(path, "utf8");
    const plain = text.split("");
    const skeleton = text.split("");
    const wipe = (to: string[][], from: number, end: number) => {
      for (const out of to) for (let k = from; k < end; k++) if (out[k] !== "\n") out[k] = " ";
    };
    // Walks code from i; inside an interpolation (`inner`) it stops after the closing brace.
    const code = (start: number, inner: boolean): number => {
      let depth = 0;
      let i = start;
      while (i < text.length) {
        if (text.startsWith("//", i) || text.startsWith("/*", i)) {
          const close = text.startsWith("//", i) ? text.indexOf("\n", i) : text.indexOf("*/", i) + 2;
          const end = close < i ? text.length : close;
          if (!inner) wipe([plain, skeleton], i, end);
          i = end;
        } else if (text[i] === "'") {
          const end = literal(i);
          if (!inner) wipe([skeleton], i + 1, end - 1); // the quotes stay, to show a string was there
          i = end;
        } else {
          if (inner && text[i] === "{") depth++;
          if (inner && text[i] === "}" && depth-- === 0) return i + 1;
          i++;
        }
      }
      return i;
    };
    // Returns the index just past the string literal starting at i.
    const literal = (i: number): number => {
      if (text.startsWith("'''", i)) {
        const close = text.indexOf("'''", i + 3);
        return close < 0 ? text.length : close + 3;
      }
      let k = i + 1;
      while (k < text.length && text[k] !== "'") {
        if (text[k] === "\\") k += 2;
        else if (text.startsWith("${", k)) k = code(k + 2, true);
        else k++;
      }
      return k + 1;
    };
    code(0, false);
    this.plain = plain.join("");
    this.skeleton = skeleton.join("");
  }

  /** Where the expression starting at `from` ends: the first newline outside brackets. */
  expressionEnd(from: number): number {
    let depth = 0;
    for (let i = from; i < this.skeleton.length; i++) {
      const c = this.skeleton[i] as string;
      if ("([{".includes(c)) depth++;
      else if (")]}".includes(c)) depth--;
      else if (c === "\n" && depth === 0) return i;
    }
    return this.skeleton.length;
  }

  node(start: number, end: number): Node {
    let s = start;
    let e = end;
    while (s < e && /\s/.test(this.plain[s] as string)) s++;
    while (e > s && /\s/.test(this.plain[e - 1] as string)) e--;
    return new Node(this, s, e);
  }
}

/** A span of a Bicep expression: an object, an array, a string or anything else. */
class Node {
  constructor(
    readonly src: Source,
    readonly start: number,
    readonly end: number,
  ) {}

  get text(): string {
    return this.src.plain.slice(this.start, this.end);
  }

  /** The elements of an object or array literal: split at newlines and commas outside brackets. */
  elements(): Node[] {
    const open = this.src.plain[this.start];
    if (open !== "{" && open !== "[") throw new Error(`not an object or array: ${this.text.slice(0, 60)}`);
    const parts: Node[] = [];
    let depth = 0;
    let from = this.start + 1;
    for (let i = this.start + 1; i < this.end - 1; i++) {
      const c = this.src.skeleton[i] as string;
      if ("([{".includes(c)) depth++;
      else if (")]}".includes(c)) depth--;
      else if (depth === 0 && (c === "\n" || c === ",")) {
        parts.push(this.src.node(from, i));
        from = i + 1;
      }
    }
    parts.push(this.src.node(from, this.end - 1));
    return parts.filter((p) => p.end > p.start);
  }

  items(): Node[] {
    if (!this.text.startsWith("[")) throw new Error(`not an array: ${this.text.slice(0, 60)}`);
    return this.elements();
  }

  /** An object member's value, by key (`key: value` or `'key': value`). */
  member(key: string): Node | undefined {
    if (!this.text.startsWith("{")) throw new Error(`not an object: ${this.text.slice(0, 60)}`);
    for (const element of this.elements()) {
      const colon = this.src.skeleton.indexOf(":", element.start);
      if (colon < 0 || colon >= element.end) continue;
      const name = this.src.plain
        .slice(element.start, colon)
        .trim()
        .replace(/^'(.*)'$/, "$1");
      if (name === key) return this.src.node(colon + 1, element.end);
    }
    return undefined;
  }

  /** Follows a path of members; throws where one is missing. */
  at(...path: string[]): Node {
    let node: Node = this;
    for (const key of path) {
      const next = node.member(key);
      if (next === undefined) throw new Error(`no ${path.join(".")} (missing "${key}") in ${this.src.path}`);
      node = next;
    }
    return node;
  }

  /** The value of a plain string literal ('...' without interpolation). */
  string(): string {
    const m = /^'((?:[^'\\$]|\\.|\$(?!\{))*)'$/.exec(this.text);
    if (!m) throw new Error(`not a plain string literal: ${this.text}`);
    return (m[1] as string).replace(/\\(.)/g, "$1");
  }
}

interface Resource {
  symbol: string;
  type: string;
  api: string;
  existing: boolean;
  /** `[for <variable> in <collection>: {...}]` */
  loop?: { variable: string; collection: string };
  body: Node;
}

interface Param {
  name: string;
  type: string;
  default?: Node;
  /** The decorators' text (`@secure()`, `@minValue(1)`, ...). */
  decorators: string;
}

/** One Bicep file's declarations. */
class Bicep {
  readonly src: Source;
  readonly params = new Map<string, Param>();
  readonly vars = new Map<string, Node>();
  readonly resources: Resource[] = [];
  readonly modules: { symbol: string; path: string; body: Node }[] = [];
  readonly outputs = new Map<string, Node>();

  constructor(path: string) {
    this.src = new Source(path);
    const { plain, skeleton } = this.src;
    const declaration = /^(param|var|resource|module|output)\s+(\w+)\b/gm;
    let previousEnd = 0;
    for (let m = declaration.exec(plain); m !== null; m = declaration.exec(plain)) {
      if (skeleton[m.index] !== plain[m.index]) continue; // inside a string
      const [, kind, name] = m as unknown as [string, string, string];
      const eol = plain.indexOf("\n", m.index);
      const line = plain.slice(m.index, eol < 0 ? plain.length : eol);
      // `param x string` has no value; everything else has one after its `=`.
      const equals = skeleton.indexOf("=", m.index);
      const hasValue = equals >= 0 && equals < m.index + line.length;
      const end = hasValue ? this.src.expressionEnd(equals + 1) : m.index + line.length;
      const value = this.src.node(equals + 1, end);
      if (kind === "param") {
        const typed = /^param\s+\w+\s+(\w+)/.exec(line);
        this.params.set(name, {
          name,
          type: typed?.[1] ?? "?",
          ...(hasValue && { default: value }),
          decorators: plain.slice(previousEnd, m.index),
        });
      } else if (kind === "var") {
        this.vars.set(name, value);
      } else if (kind === "output") {
        this.outputs.set(name, value);
      } else if (kind === "module") {
        const path = /^module\s+\w+\s+'([^']+)'/.exec(line)?.[1] ?? "?";
        this.modules.push({ symbol: name, path, body: value });
      } else {
        const head = /^resource\s+\w+\s+'([^'@]+)@([^']+)'(\s+existing)?/.exec(line);
        if (!head) throw new Error(`unreadable resource line: ${line}`);
        const loop = /^\[for\s+(\w+)\s+in\s+(\w+)\s*:/.exec(value.text);
        const body = loop ? this.objectAt(skeleton.indexOf("{", value.start)) : value;
        this.resources.push({
          symbol: name,
          type: head[1] as string,
          api: head[2] as string,
          existing: head[3] !== undefined,
          ...(loop && { loop: { variable: loop[1] as string, collection: loop[2] as string } }),
          body,
        });
      }
      previousEnd = end;
    }
  }

  private objectAt(open: number): Node {
    let depth = 0;
    for (let i = open; i < this.src.skeleton.length; i++) {
      const c = this.src.skeleton[i];
      if (c === "{") depth++;
      else if (c === "}" && --depth === 0) return new Node(this.src, open, i + 1);
    }
    throw new Error(`unbalanced braces from ${open} in ${this.src.path}`);
  }

  /** The resources of one type (full type, without the api version). */
  ofType(type: string): Resource[] {
    return this.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
  }

  one(type: string): Resource {
    const [found, ...more] = this.ofType(type);
    if (found === undefined || more.length > 0) throw new Error(`not exactly one ${type} in ${this.src.path}`);
    return found;
  }

  symbolOf(type: string): string {
    return this.one(type).symbol;
  }

  /** A variable's value; fails where there is none. */
  variable(name: string): Node {
    const value = this.vars.get(name);
    if (value === undefined) throw new Error(`no var ${name} in ${this.src.path}`);
    return value;
  }

  /** A variable's value, or the literal itself: follows `name` to `var name = ...`. */
  resolve(node: Node): Node {
    return this.vars.get(node.text) ?? node;
  }
}

// ---------------------------------------------------------------- the files and the real CLI

const main = new Bicep(join(AZURE, "main.bicep"));
const moduleFiles = existsSync(join(AZURE, "modules"))
  ? readdirSync(join(AZURE, "modules")).filter((f) => f.endsWith(".bicep"))
  : [];
const modules = new Map(moduleFiles.map((f) => [`modules/${f}`, new Bicep(join(AZURE, "modules", f))]));
const cloudInitPath = join(AZURE, "cloud-init.yaml");
const cloudInit = readFileSync(cloudInitPath, "utf8");
const parametersFile = JSON.parse(readFileSync(join(AZURE, "main.parameters.json"), "utf8")) as {
  parameters: Record<string, { value: unknown }>;
};

/** cloud-init's write_files entries: path → content, de-indented (YAML read by indentation). */
function writeFiles(yaml: string): Map<string, string> {
  const files = new Map<string, string>();
  const entry = /^ {2}- path: (\S+)\n((?:(?: {4}.*)?\n)*)/gm;
  for (let m = entry.exec(yaml); m !== null; m = entry.exec(yaml)) {
    const fields = m[2] as string;
    const block = /^ {4}content: \|\n((?:(?: {6}.*)?\n)*)/m.exec(fields);
    const inline = /^ {4}content: (.*)$/m.exec(fields);
    files.set(
      m[1] as string,
      block ? (block[1] as string).replace(/^ {6}/gm, "") : (inline?.[1] ?? "").replace(/^"(.*)"$/, "$1"),
    );
  }
  return files;
}
const files = writeFiles(cloudInit);

function unitValue(unit: string, key: string): string | undefined {
  return new RegExp(`^${key}=(.*)$`, "m").exec(unit)?.[1];
}

/** ISO 8601 minutes or seconds, as the templates write them (PT10M, PT60S). */
function isoSeconds(text: string): number {
  const m = /^PT(?:(\d+)M)?(?:(\d+)S)?$/.exec(text);
  if (!m) throw new Error(`not a PTnMnS duration: ${text}`);
  return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
}

const help = { worker: "", gateway: "" };

beforeAll(async () => {
  for (const role of ["worker", "gateway"] as const) {
    const { stdout } = await exec(process.execPath, [BIN, role, "--help"], { timeout: 30_000 });
    help[role] = stdout;
  }
});

// ---------------------------------------------------------------- the checks

describe("the structural Bicep reader", () => {
  it("reads members, items, loops and strings, and skips comments and strings", () => {
    expect(main.resources.length).toBeGreaterThan(10);
    const queues = main.one("Microsoft.ServiceBus/namespaces/queues");
    expect(queues.loop).toEqual({ variable: "queueName", collection: "queueNames" });
    expect(
      main
        .variable("queueNames")
        .items()
        .map((n) => n.string()),
    ).toEqual(["tiles", "events"]);
    expect(main.variable("ubuntuImages").at("24.04", "sku").string()).toBe("server"); // a quoted key
    // A brace inside a string or a comment does not end a block: the last resource parses whole.
    const last = main.resources.at(-1) as Resource;
    expect(last.body.text.endsWith("}")).toBe(true);
    expect(main.src.skeleton).toHaveLength(main.src.plain.length);
    // Every resource type names a released API version, not a preview.
    for (const r of [...main.resources, ...[...modules.values()].flatMap((m) => m.resources)])
      expect(r.api, `${r.symbol} '${r.type}'`).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe("Service Bus", () => {
  const ns = main.one("Microsoft.ServiceBus/namespaces");

  it("is a Standard or Premium namespace (sessions need one) that accepts Entra ID sign-in only", () => {
    expect(["Standard", "Premium"]).toContain(ns.body.at("sku", "name").string());
    expect(ns.body.at("properties", "disableLocalAuth").text).toBe("true");
  });

  it("has session-enabled tiles and events queues whose settings are the apps' defaults", () => {
    const queues = main.ofType("Microsoft.ServiceBus/namespaces/queues");
    const names = queues.flatMap((q) =>
      q.loop && q.body.at("name").text === q.loop.variable
        ? main
            .variable(q.loop.collection)
            .items()
            .map((n) => n.string())
        : [q.body.at("name").string()],
    );
    expect(names.sort()).toEqual([EVENTS_QUEUE, TILES_QUEUE].sort());
    for (const q of queues) {
      expect(q.body.at("parent").text).toBe(ns.symbol);
      const props = q.body.at("properties");
      expect(props.at("requiresSession").text).toBe("true");
      expect(props.at("deadLetteringOnMessageExpiration").text).toBe("true");
      expect(props.at("maxDeliveryCount").text).toBe("maxDeliveryCount");
      expect(props.at("lockDuration").text).toBe(`'PT\${lockDurationSeconds}S'`);
    }
    expect(main.params.get("maxDeliveryCount")?.default?.text).toBe(String(DEFAULT_QUEUE_SETTINGS.maxDeliveryCount));
    expect(Number(main.params.get("lockDurationSeconds")?.default?.text) * 1000).toBe(DEFAULT_QUEUE_SETTINGS.lockDurationMs);
  });
});

describe("Blob Storage", () => {
  it("is a StorageV2 account with no public blobs, TLS 1.2, HTTPS only and no shared keys", () => {
    const account = main.one("Microsoft.Storage/storageAccounts");
    expect(account.body.at("kind").string()).toBe("StorageV2");
    const props = account.body.at("properties");
    expect(props.at("allowBlobPublicAccess").text).toBe("false");
    expect(props.at("allowSharedKeyAccess").text).toBe("false");
    expect(props.at("minimumTlsVersion").string()).toBe("TLS1_2");
    expect(props.at("supportsHttpsTrafficOnly").text).toBe("true");
  });

  it("has the apps' private container", () => {
    const container = main.one("Microsoft.Storage/storageAccounts/blobServices/containers");
    expect(main.resolve(container.body.at("name")).string()).toBe(DEFAULT_CONTAINER);
    expect(container.body.at("properties", "publicAccess").string()).toBe("None");
  });
});

describe("no keys anywhere", () => {
  const texts: [string, string][] = [
    ["main.bicep", main.src.plain],
    ...[...modules].map(([path, bicep]): [string, string] => [path, bicep.src.plain]),
    ["cloud-init.yaml", cloudInit],
    ["main.parameters.json", JSON.stringify(parametersFile)],
  ];

  it.each(texts)("%s names no key, connection string or key-listing function", (_, text) => {
    expect(text).not.toMatch(/listKeys|connectionString|AccountKey|SharedAccessKey/i);
    // The apps' connection-string settings: the machines use names and their identity instead.
    expect(text).not.toMatch(/TESSERA_(SERVICEBUS|STORAGE)_CONNECTION|--servicebus\s|--storage\s/);
  });

  it("keeps the API token a secure parameter that no output repeats", () => {
    expect(main.params.get("apiToken")?.decorators).toContain("@secure()");
    for (const [name, value] of main.outputs) expect(value.text, `output ${name}`).not.toContain("apiToken");
  });
});

describe("identities and roles", () => {
  const roles = modules.get("modules/data-roles.bicep") as Bicep;

  it("grants Service Bus Data Sender and Receiver on the namespace and Blob Data Contributor on the account", () => {
    expect(roles, "infra/azure/modules/data-roles.bicep").toBeDefined();
    const scopes = new Map(roles.resources.filter((r) => r.existing).map((r) => [r.symbol, r.type]));
    const granted = roles.ofType("Microsoft.Authorization/roleAssignments").map((a) => {
      const props = a.body.at("properties");
      const id = /roleDefinitions',\s*(\w+)\)/.exec(props.at("roleDefinitionId").text)?.[1] ?? "?";
      expect(props.at("principalId").text).toBe("principalId");
      expect(props.at("principalType").string()).toBe("ServicePrincipal");
      return [roles.variable(id).string(), scopes.get(a.body.at("scope").text)] as const;
    });
    expect(Object.fromEntries(granted)).toEqual({
      "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39": "Microsoft.ServiceBus/namespaces", // Azure Service Bus Data Sender
      "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0": "Microsoft.ServiceBus/namespaces", // Azure Service Bus Data Receiver
      "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Microsoft.Storage/storageAccounts", // Storage Blob Data Contributor
    });
    expect(roles.params.has("principalId")).toBe(true);
  });

  it("gives those roles to the identity of the workers and to the gateway's, before the machines boot", () => {
    const identityOf = (type: string) => {
      const machine = main.one(type);
      const [key] = machine.body.at("identity", "userAssignedIdentities").elements();
      const symbol = /^'\$\{(\w+)\.id\}'/.exec(key?.text ?? "")?.[1] ?? "?";
      expect(main.resources.find((r) => r.symbol === symbol)?.type).toBe("Microsoft.ManagedIdentity/userAssignedIdentities");
      return { symbol, machine };
    };
    for (const { symbol, machine } of [
      identityOf("Microsoft.Compute/virtualMachineScaleSets"),
      identityOf("Microsoft.Compute/virtualMachines"),
    ]) {
      const grant = main.modules.find(
        (m) =>
          m.path === "modules/data-roles.bicep" && m.body.at("params", "principalId").text === `${symbol}.properties.principalId`,
      );
      expect(grant, `data roles for ${symbol}`).toBeDefined();
      expect(
        machine.body
          .at("dependsOn")
          .items()
          .map((n) => n.text),
      ).toContain(grant?.symbol);
    }
  });
});

describe("the worker scale set", () => {
  const vmss = main.one("Microsoft.Compute/virtualMachineScaleSets");
  const props = vmss.body.at("properties");

  it("is sized by parameters and runs Ubuntu 22.04 or 24.04", () => {
    expect(vmss.body.at("sku", "name").text).toBe("workerVmSize");
    expect(vmss.body.at("sku", "capacity").text).toBe("minWorkers");
    const images = main.variable("ubuntuImages");
    for (const release of ["22.04", "24.04"]) {
      expect(images.at(release, "publisher").string()).toBe("Canonical");
      expect(images.at(release, "offer").string()).toMatch(/jammy|ubuntu-24_04/);
    }
    expect(props.at("virtualMachineProfile", "storageProfile", "imageReference").text).toBe("ubuntuImages[ubuntuRelease]");
  });

  it("drains on scale-in: terminate notice on, no forced deletion, no automatic repairs, no overprovisioning", () => {
    expect(props.at("scaleInPolicy", "forceDeletion").text).toBe("false");
    expect(props.at("automaticRepairsPolicy", "enabled").text).toBe("false");
    expect(props.at("overprovision").text).toBe("false");
    const notice = props.at("virtualMachineProfile", "scheduledEventsProfile", "terminateNotificationProfile");
    expect(notice.at("enable").text).toBe("true");
    const seconds = isoSeconds(main.resolve(notice.at("notBeforeTimeout")).string());
    expect(seconds).toBeGreaterThanOrEqual(5 * 60); // Azure's range: 5 to 15 minutes
    expect(seconds).toBeLessThanOrEqual(15 * 60);
    // systemd must give up on a stuck drain before Azure does, so the drain script approves.
    const worker = files.get("/etc/systemd/system/tessera-worker.service") ?? "";
    const stop = Number(unitValue(worker, "TimeoutStopSec"));
    expect(stop).toBeGreaterThanOrEqual(120);
    expect(stop).toBeLessThan(seconds);
  });

  it("autoscales on the tiles backlog per worker: ActiveMessages, EntityName = tiles, divided per instance", () => {
    const autoscale = main.one("Microsoft.Insights/autoscalesettings");
    const settings = autoscale.body.at("properties");
    expect(settings.at("targetResourceUri").text).toBe(`${vmss.symbol}.id`);
    const [profile, ...others] = settings.at("profiles").items();
    expect(others).toEqual([]);
    expect(profile?.at("capacity", "minimum").text).toBe("string(minWorkers)");
    expect(profile?.at("capacity", "maximum").text).toBe("string(maxWorkers)");
    const rules = profile?.at("rules").items() ?? [];
    const directions = rules.map((rule) => {
      const trigger = rule.at("metricTrigger");
      expect(trigger.at("metricName").string()).toBe("ActiveMessages");
      expect(trigger.at("metricResourceUri").text).toBe(`${main.symbolOf("Microsoft.ServiceBus/namespaces")}.id`);
      expect(trigger.at("dividePerInstance").text).toBe("true");
      const [dimension, ...more] = trigger.at("dimensions").items();
      expect(more).toEqual([]);
      expect(dimension?.at("DimensionName").string()).toBe("EntityName");
      expect(dimension?.at("Operator").string()).toBe("Equals");
      expect(
        dimension
          ?.at("Values")
          .items()
          .map((v) => v.string()),
      ).toEqual([TILES_QUEUE]);
      const action = rule.at("scaleAction");
      expect(isoSeconds(action.at("cooldown").string())).toBeGreaterThanOrEqual(60);
      return [action.at("direction").string(), `${trigger.at("operator").string()} ${trigger.at("threshold").text}`] as const;
    });
    expect(Object.fromEntries(directions)).toEqual({
      Increase: "GreaterThan backlogPerWorker",
      Decrease: "LessThanOrEqual scaleInBacklogPerWorker",
    });
  });
});

describe("the gateway", () => {
  it("has a public DNS name, and its network security group opens only its port", () => {
    const ips = main.ofType("Microsoft.Network/publicIPAddresses");
    expect(ips.some((ip) => ip.body.member("properties")?.member("dnsSettings")?.member("domainNameLabel"))).toBe(true);
    const rules = main
      .ofType("Microsoft.Network/networkSecurityGroups")
      .flatMap((nsg) => nsg.body.at("properties", "securityRules").items())
      .map((rule) => rule.at("properties"))
      .filter((rule) => rule.at("direction").string() === "Inbound" && rule.at("access").string() === "Allow");
    expect(rules.map((rule) => rule.at("destinationPortRange").text)).toEqual(["string(gatewayPort)"]);
    expect(main.outputs.get("gatewayUrl")?.text).toMatch(
      /^'http:\/\/\$\{\w+\.properties\.dnsSettings\.fqdn\}:\$\{gatewayPort\}'$/,
    );
  });
});

describe("outputs and parameters", () => {
  it("outputs the gateway URL, the namespace and the account", () => {
    expect([...main.outputs.keys()]).toEqual(expect.arrayContaining(["gatewayUrl", "serviceBusNamespace", "storageAccount"]));
  });

  it("declares every parameter the parameters file sets, and the file sets every required one", () => {
    const set = Object.keys(parametersFile.parameters);
    for (const name of set) expect(main.params.has(name), `param ${name} in main.bicep`).toBe(true);
    const required = [...main.params.values()].filter((p) => p.default === undefined).map((p) => p.name);
    expect(set).toEqual(expect.arrayContaining(required));
    const value = (name: string) => parametersFile.parameters[name]?.value;
    expect(Number(value("minWorkers"))).toBeLessThanOrEqual(Number(value("maxWorkers")));
  });
});

describe("cloud-init", () => {
  it("is the file main.bicep loads, and main.bicep fills in every placeholder it has", () => {
    expect(cloudInit.startsWith("#cloud-config\n")).toBe(true);
    expect(main.src.plain).toContain("loadTextContent('cloud-init.yaml')");
    const placeholders = new Set(cloudInit.match(/\{\{\w+\}\}/g));
    const filled = new Set(main.src.plain.match(/'\{\{\w+\}\}'/g)?.map((s) => s.slice(1, -1)));
    expect([...placeholders].sort()).toEqual([...filled].sort());
  });

  it("runs only real tessera commands with real flags", () => {
    const commands = [...cloudInit.matchAll(/bin\/tessera\.js\s+(.*)$/gm)].map((m) => (m[1] as string).trim());
    expect(commands.map((c) => c.split(/\s+/)[0]).sort()).toEqual(["gateway", "worker"]);
    for (const command of commands) {
      expect(command, "one line, no continuation").not.toMatch(/\\$/);
      const [role, ...args] = command.split(/\s+/) as ["worker" | "gateway", ...string[]];
      for (const flag of args.filter((a) => a.startsWith("--"))) expect(help[role], `${role} ${flag}`).toContain(`${flag} `);
    }
    expect(unitValue(files.get("/etc/systemd/system/tessera-gateway.service") ?? "", "ExecStart")).toContain(
      "gateway --host 0.0.0.0",
    );
  });

  it("sets only environment variables the CLI reads, for the role that reads them", () => {
    const envNames = (variable: string) =>
      main
        .variable(variable)
        .items()
        .map((n) => /^'([A-Z][A-Z0-9_]*)=/.exec(n.text)?.[1] ?? `unreadable ${n.text}`);
    // DefaultAzureCredential's, not the CLI's: it names the managed identity to sign in as.
    const credential = new Set(["AZURE_CLIENT_ID"]);
    const check = (names: string[], roles: ("worker" | "gateway")[]) => {
      for (const name of names.filter((n) => !credential.has(n)))
        for (const role of roles) expect(help[role], `${name} in tessera ${role} --help`).toMatch(new RegExp(`\\b${name}\\b`));
    };
    const shared = envNames("sharedEnv");
    expect(shared).toEqual(
      expect.arrayContaining(["TESSERA_SERVICEBUS_NAMESPACE", "TESSERA_STORAGE_ACCOUNT", "TESSERA_LOCK_MS"]),
    );
    check(shared, ["worker", "gateway"]);
    check(envNames("workerEnv"), ["worker"]);
    check(envNames("gatewayEnv"), ["gateway"]);
    expect(envNames("workerEnv")).toContain("AZURE_CLIENT_ID");
    expect(envNames("gatewayEnv")).toContain("AZURE_CLIENT_ID");
    // Any TESSERA_ variable written anywhere is one of the CLI's.
    for (const name of new Set(`${main.src.plain}\n${cloudInit}`.match(/\bTESSERA_[A-Z0-9_]+/g)))
      expect(`${help.worker}${help.gateway}`, name).toMatch(new RegExp(`\\b${name}\\b`));
    // The queue settings reach the apps from the same parameters the queues use.
    const sharedText = main.variable("sharedEnv").text;
    expect(sharedText).toContain(`'TESSERA_LOCK_MS=\${lockDurationSeconds * 1000}'`);
    expect(sharedText).toContain(`'TESSERA_MAX_DELIVERY_COUNT=\${maxDeliveryCount}'`);
  });

  it("runs the worker as a draining systemd service", () => {
    const worker = files.get("/etc/systemd/system/tessera-worker.service") ?? "";
    expect(unitValue(worker, "ExecStart")).toMatch(/bin\/tessera\.js worker( |$)/);
    // Metrics stay on the private network; the flags themselves are checked against --help below.
    expect(unitValue(worker, "ExecStart")).toContain("--metrics-port 9464");
    expect(unitValue(worker, "KillSignal")).toBe("SIGTERM");
    expect(unitValue(worker, "EnvironmentFile")).toBe("/etc/tessera/tessera.env");
    expect(files.has("/etc/tessera/tessera.env")).toBe(true);
    expect(files.get("/etc/tessera/tessera.env")).toBe("{{ENV_BASE64}}");
  });

  it("drains a worker the scale set is deleting, then approves the deletion", () => {
    const drain = files.get("/usr/local/sbin/tessera-drain") ?? "";
    expect(drain).toContain("http://169.254.169.254/metadata");
    expect(drain).toContain("scheduledevents?api-version=2020-07-01");
    expect(drain).toMatch(/EventType == "Terminate"/);
    expect(drain).toMatch(/\.Resources \| index\(\$me\)/); // only events naming this VM
    const stop = drain.indexOf("systemctl stop tessera-worker");
    const approve = drain.indexOf("StartRequests");
    expect(stop).toBeGreaterThan(0);
    expect(approve).toBeGreaterThan(stop);
    expect(files.get("/etc/systemd/system/tessera-drain.service")).toContain("ExecStart=/usr/local/sbin/tessera-drain");
    expect(files.get("/usr/local/sbin/tessera-setup")).toMatch(/systemctl enable --now tessera-drain/);
  });
});
