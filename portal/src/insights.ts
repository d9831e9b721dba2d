// Logs Insights on the chosen group: a query box, polling until the query is
// final, a results table, stop, and NDJSON download of the rows.

import { ApiError, QueryResults } from "./api";
import type { Ctx } from "./app";
import { fill, h } from "./dom";
import { RangeSpec, describe, formatTime, resolve } from "./time";
import { download, plural, slug, stamp } from "./util";
import { View } from "./view";

const FINAL = new Set(["Complete", "Failed", "Cancelled", "Timeout", "Unknown"]);
/** Insights needs bounds; "any time" means the last day here. */
const DEFAULT_SPAN_MS = 86_400_000;

/** CloudWatch sends `@timestamp` as text already; epoch milliseconds are shown as time. */
function timestamp(value: string): string {
  return /^\d{10,}$/.test(value) ? formatTime(Number(value)) : value;
}

function bounds(range: RangeSpec): { start: number; end: number } {
  const now = Date.now();
  const r = resolve(range, now);
  const end = r.end ?? now;
  const start = r.start ?? end - DEFAULT_SPAN_MS;
  return { start: Math.floor(start / 1000), end: Math.ceil(end / 1000) };
}

export class InsightsPane {
  readonly el: HTMLElement;
  private readonly query: HTMLTextAreaElement;
  private readonly runButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly scope: HTMLElement;
  private readonly status: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly downloadButton: HTMLButtonElement;
  private view: View | null = null;
  private running: { id: string; controller: AbortController } | null = null;
  private rows: Record<string, string>[] = [];

  constructor(private readonly ctx: Ctx) {
    this.query = h("textarea", {
      id: "query",
      rows: 4,
      spellcheck: "false",
      "data-testid": "query-input",
      "aria-describedby": "query-help",
    });
    this.runButton = h("button", { type: "submit", class: "primary", "data-testid": "query-run" }, "Run query");
    this.stopButton = h("button", { type: "button", hidden: true, onclick: () => void this.stop() }, "Stop");
    this.scope = h("p", { class: "scope" });
    this.status = h("p", { class: "status", role: "status", "data-testid": "query-status" });
    this.table = h("table", { class: "results", "data-testid": "query-results" });
    this.downloadButton = h("button", { type: "button", hidden: true, onclick: () => this.download() }, "Download NDJSON");
    this.el = h(
      "section",
      { class: "pane", id: "pane-insights", role: "tabpanel", "aria-labelledby": "tab-insights", hidden: true },
      h(
        "form",
        {
          class: "search",
          onsubmit: (ev: Event) => {
            ev.preventDefault();
            this.ctx.navigate({ query: this.query.value });
            void this.run();
          },
        },
        h("label", { for: "query" }, "Logs Insights query"),
        this.query,
        h(
          "p",
          { id: "query-help", class: "help" },
          "Runs on the chosen log group only (no SOURCE command). Ctrl+Enter runs it.",
        ),
        h("div", { class: "row" }, this.runButton, this.stopButton, this.downloadButton),
      ),
      this.scope,
      this.status,
      h("div", { class: "table-wrap" }, this.table),
    );
    this.query.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        this.runButton.click();
      }
    });
  }

  show(view: View): void {
    if (document.activeElement !== this.query) this.query.value = view.query;
    this.view = view;
    this.scope.textContent = view.group ? `On ${view.group}, ${describe(view.range)}${view.range.kind === "any" ? " (Insights reads the last day)" : ""}.` : "Choose a log group first.";
    this.runButton.disabled = !view.group;
  }

  close(): void {
    this.running?.controller.abort();
    this.running = null;
  }

  private async run(): Promise<void> {
    const view = this.view;
    if (!view?.group) return;
    this.close();
    const controller = new AbortController();
    fill(this.table);
    this.rows = [];
    this.downloadButton.hidden = true;
    this.status.textContent = "Starting the query…";
    const { start, end } = bounds(view.range);
    let id: string;
    try {
      id = await this.ctx.api.startQuery({ logGroupNames: [view.group], queryString: this.query.value, startTime: start, endTime: end });
    } catch (e) {
      this.status.textContent = "The query could not be started.";
      this.ctx.fail(e, () => void this.run());
      return;
    }
    this.running = { id, controller };
    this.stopButton.hidden = false;
    let delay = 500;
    try {
      for (;;) {
        const r = await this.ctx.api.queryResults(id, controller.signal);
        if (controller.signal.aborted) return;
        this.render(r);
        if (FINAL.has(r.status)) break;
        await new Promise((resolve) => setTimeout(resolve, delay));
        if (controller.signal.aborted) return;
        delay = Math.min(delay * 2, 5000);
      }
    } catch (e) {
      if (controller.signal.aborted || (e instanceof DOMException && e.name === "AbortError")) return;
      this.status.textContent = "The query's results could not be read.";
      this.ctx.fail(e);
    } finally {
      if (this.running?.id === id) {
        this.running = null;
        this.stopButton.hidden = true;
      }
    }
  }

  private async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.close();
    this.stopButton.hidden = true;
    try {
      await this.ctx.api.stopQuery(running.id);
      this.status.textContent = "Query stopped.";
    } catch (e) {
      if (e instanceof ApiError) this.ctx.fail(e);
    }
  }

  private render(r: QueryResults): void {
    this.rows = r.results.map((row) => Object.fromEntries(row.filter((c) => c.field !== "@ptr").map((c) => [c.field, c.value])));
    const columns: string[] = [];
    for (const row of this.rows) for (const f of Object.keys(row)) if (!columns.includes(f)) columns.push(f);
    const stats = r.statistics;
    const matched = stats.recordsMatched !== undefined ? `, ${stats.recordsMatched} records matched of ${stats.recordsScanned ?? "?"} scanned` : "";
    this.status.textContent = `${r.status}: ${plural(this.rows.length, "row")}${matched}.`;
    if (this.rows.length === 0) {
      fill(this.table);
      if (FINAL.has(r.status)) this.status.textContent = `${r.status}: no rows (${this.view ? describe(this.view.range) : ""}).`;
      return;
    }
    fill(
      this.table,
      h("caption", { class: "offscreen" }, "Query results"),
      h("thead", null, h("tr", null, columns.map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        null,
        this.rows.map((row) =>
          h(
            "tr",
            null,
            columns.map((c) => h("td", null, c === "@timestamp" && row[c] ? h("time", null, timestamp(row[c])) : (row[c] ?? ""))),
          ),
        ),
      ),
    );
    this.downloadButton.hidden = false;
  }

  private download(): void {
    if (this.rows.length === 0 || !this.view?.group) return;
    download(
      `logward-insights-${slug(this.view.group)}-${stamp()}.ndjson`,
      "application/x-ndjson",
      `${this.rows.map((r) => JSON.stringify(r)).join("\n")}\n`,
    );
  }
}

