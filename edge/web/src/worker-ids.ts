// Worker processes and their loops. Tile events name the loop that did a tile (`vm/8008/3`,
// `worker-0/1`: the process's id, a slash, the loop's number); the cluster panel lists processes
// (`vm/8008`, `worker-0`). The legend and the tile map group loops by process with these.

/** The processes the cluster panel last listed: the surest way to cut a loop's id. */
let known: readonly string[] = [];

export function setKnownWorkers(ids: readonly string[]): void {
  // Longest first, so "worker-10" wins over "worker-1" for "worker-10/0".
  known = [...ids].sort((a, b) => b.length - a.length);
}

export interface LoopRef {
  /** The worker process's id. */
  process: string;
  /** The loop's number within it (its shade); 0 when the id names no loop. */
  loop: number;
}

/** The process and loop number of loop id `id`. */
export function processOf(id: string, processes: readonly string[] = known): LoopRef {
  const match = processes.find((p) => id === p || id.startsWith(`${p}/`));
  if (match !== undefined) return { process: match, loop: loopNumber(id.slice(match.length + 1)) };
  const cut = /^(.+)\/(\d+)$/.exec(id);
  return cut ? { process: cut[1] as string, loop: Number(cut[2]) } : { process: id, loop: 0 };
}

function loopNumber(rest: string): number {
  return /^\d+$/.test(rest) ? Number(rest) : 0;
}

export interface ProcessTiles {
  process: string;
  tiles: number;
  /** Its loops that did tiles, by loop number. */
  loops: { id: string; loop: number; tiles: number }[];
}

/** The current stage's finished tiles by process, most first, each with its loops in order. */
export function tilesByProcess(tileWorkers: Record<string, string>, processes: readonly string[] = known): ProcessTiles[] {
  const groups = new Map<string, ProcessTiles>();
  for (const id of Object.values(tileWorkers)) {
    const { process, loop } = processOf(id, processes);
    const group = groups.get(process) ?? { process, tiles: 0, loops: [] };
    groups.set(process, group);
    group.tiles++;
    const entry = group.loops.find((l) => l.id === id);
    if (entry) entry.tiles++;
    else group.loops.push({ id, loop, tiles: 1 });
  }
  for (const g of groups.values()) g.loops.sort((a, b) => a.loop - b.loop || a.id.localeCompare(b.id));
  return [...groups.values()].sort((a, b) => b.tiles - a.tiles || a.process.localeCompare(b.process));
}
