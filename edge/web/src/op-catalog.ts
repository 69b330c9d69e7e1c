// The ops the pipeline builder offers: the bundled list at start, then the gateway's own
// (GET /v1/ops), which is what the cluster will actually run.

import type { OpView } from "../../api-types.ts";
import { type Api, errorMessage } from "./api.ts";
import { normalizeOps } from "./builder.ts";
import { byId } from "./dom.ts";
import type { PipelineEditor } from "./pipeline-ui.ts";

export class OpCatalog {
  private json = "";

  constructor(
    private readonly api: Api,
    private readonly editor: PipelineEditor,
  ) {}

  /** An unchanged list is skipped: setting ops rebuilds every step card, dropping the focus or a slider drag. */
  set(list: OpView[]): void {
    const json = JSON.stringify(list);
    if (json === this.json) return;
    this.json = json;
    this.editor.setOps(list);
  }

  async load(): Promise<void> {
    try {
      this.set(normalizeOps(await this.api.get<unknown>("/v1/ops")));
      byId("ops-source").textContent = "";
    } catch (err) {
      byId("ops-source").textContent = `built-in op list (${errorMessage(err)})`;
    }
  }
}
