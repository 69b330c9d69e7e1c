/**
 * Link addresses as the SDK builds them: `$cbs`, `<queue>`, `<queue>/$DeadLetterQueue`, and
 * either of the last two followed by `/$management`. Service Bus matches the `$` sub-queue
 * and `$management` suffixes case-insensitively; queue names keep their case.
 */

export type SubQueue = "active" | "deadLetter";

export type Address =
  | { kind: "cbs" }
  | { kind: "entity"; queue: string; subQueue: SubQueue; management: boolean }
  /** A `$` sub-queue the emulator does not have (e.g. `$Transfer/$DeadLetterQueue`). */
  | { kind: "unknown" };

const MANAGEMENT = "/$management";
const DEAD_LETTER = "/$deadletterqueue";

function endsWithFolded(text: string, suffix: string): boolean {
  return text.length > suffix.length && text.slice(-suffix.length).toLowerCase() === suffix;
}

export function parseAddress(address: string): Address {
  if (address === "$cbs") return { kind: "cbs" };
  let rest = address;
  const management = endsWithFolded(rest, MANAGEMENT);
  if (management) rest = rest.slice(0, -MANAGEMENT.length);
  const deadLetter = endsWithFolded(rest, DEAD_LETTER);
  if (deadLetter) rest = rest.slice(0, -DEAD_LETTER.length);
  // Queue names cannot hold `$`: anything left with one is a sub-queue not emulated.
  if (rest.includes("$")) return { kind: "unknown" };
  return { kind: "entity", queue: rest, subQueue: deadLetter ? "deadLetter" : "active", management };
}
