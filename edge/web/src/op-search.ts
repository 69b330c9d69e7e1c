// The op picker's search: which ops match what was typed. Every word must appear in the op's
// name, category, kind or description; ops whose name starts with the query come first, so
// typing a name and pressing Enter adds that op.

import type { OpView } from "../../api-types.ts";

export function searchOps(ops: readonly OpView[], query: string): OpView[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...ops];
  const hits = ops.filter((op) => {
    const hay = `${op.name} ${op.category} ${op.kind} ${op.description}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
  const q = words.join(" ");
  const rank = (op: OpView) => (op.name === q ? 0 : op.name.startsWith(q) ? 1 : op.name.includes(q) ? 2 : 3);
  return hits
    .map((op, i) => ({ op, i }))
    .sort((a, b) => rank(a.op) - rank(b.op) || a.i - b.i)
    .map(({ op }) => op);
}
