// The tile map, its legend and the cluster table colour by worker process: a process's loops
// (`<process>/<n>`, as tile events name them) are grouped under it, in shades of its colour.

import { describe, expect, it } from "vitest";
import { shadeLightness, workerColor, workerHue } from "../../edge/web/src/colors.ts";
import { processOf, setKnownWorkers, tilesByProcess } from "../../edge/web/src/worker-ids.ts";

describe("worker processes and loops", () => {
  it("cuts a loop's id into its process and loop number", () => {
    expect(processOf("vm/8008/3", [])).toEqual({ process: "vm/8008", loop: 3 });
    expect(processOf("worker-0/1", [])).toEqual({ process: "worker-0", loop: 1 });
    expect(processOf("solo", [])).toEqual({ process: "solo", loop: 0 });
    // The cluster's list wins over the cut: a process id may itself end in /<digits>.
    expect(processOf("vm/8008/3", ["vm/8008"])).toEqual({ process: "vm/8008", loop: 3 });
    expect(processOf("a/1/2/0", ["a/1/2"])).toEqual({ process: "a/1/2", loop: 0 });
    expect(processOf("worker-10/0", ["worker-1", "worker-10"])).toEqual({ process: "worker-10", loop: 0 });
  });

  it("groups the tiles of a stage by process, most first, loops in order", () => {
    setKnownWorkers([]);
    const tiles = { 0: "vm/8008/0", 1: "vm/8008/3", 2: "worker-0/1", 3: "vm/8008/0", 4: "vm/8008/1" };
    expect(tilesByProcess(tiles)).toEqual([
      {
        process: "vm/8008",
        tiles: 4,
        loops: [
          { id: "vm/8008/0", loop: 0, tiles: 2 },
          { id: "vm/8008/1", loop: 1, tiles: 1 },
          { id: "vm/8008/3", loop: 3, tiles: 1 },
        ],
      },
      { process: "worker-0", tiles: 1, loops: [{ id: "worker-0/1", loop: 1, tiles: 1 }] },
    ]);
  });

  it("gives a process one hue and its loops distinct shades of it, loop 0 the process's own colour", () => {
    const hue = workerHue("vm/8008");
    const shades = [0, 1, 2, 3].map((loop) => workerColor("vm/8008", 1, loop));
    expect(new Set(shades).size).toBe(4);
    for (const c of shades) expect(c.startsWith(`hsl(${hue} 70% `)).toBe(true);
    expect(shades[0]).toBe(workerColor("vm/8008"));
    for (let loop = 0; loop < 40; loop++) {
      expect(shadeLightness(loop)).toBeGreaterThanOrEqual(30);
      expect(shadeLightness(loop)).toBeLessThanOrEqual(75);
    }
  });
});
