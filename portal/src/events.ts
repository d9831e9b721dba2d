// The events pane: one stream's events with older/newer paging, or a
// group-wide search with a filter pattern; live tail (livetail.ts); copy link
// and NDJSON download of what is on screen.

import { ApiError, LogEvent } from "./api";
import type { Ctx } from "./app";
import { fill, h } from "./dom";
import { eventRow } from "./eventrow";
import { Pattern, matches, parsePattern } from "./pattern";
import { LiveTailControls } from "./livetail";
import { describe, resolve } from "./time";
import { copyText, download, plural, slug, stamp } from "./util";
import { View } from "./view";

const PAGE = 100;
/** Events kept on screen; a long tail drops the oldest beyond this. */
const MAX_ON_SCREEN = 5000;
/** Empty FilterLogEvents pages followed before asking the user. */
const MAX_EMPTY_PAGES = 5;

interface Shown {
  event: LogEvent;
  unmatched: boolean;
}

function key(v: View): string {
  return JSON.stringify([v.group, v.stream, v.filter, v.range]);
}

function eventKey(e: LogEvent): string {
  return e.eventId ?? `${e.timestamp}|${e.logStreamName ?? ""}|${e.message ?? ""}`;
}

export class EventsPane {
  readonly el: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly scope: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly status: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly olderButton: HTMLButtonElement;
  private readonly newerButton: HTMLButtonElement;
  private readonly live: LiveTailControls;
  private readonly announcer: HTMLElement;
  private readonly actions: HTMLElement;

  private current = "";
  private view: View | null = null;
  private pattern: Pattern = { kind: "all" };
  private shown: Shown[] = [];
  private seen = new Set<string>();
  private showUnmatched = false;
  private backward: string | null = null;
  private forward: string | null = null;
  private next: string | null = null;
  private load: AbortController | null = null;

  constructor(private readonly ctx: Ctx) {
    this.search = h("input", {
      id: "search",
      type: "search",
      "data-testid": "search-input",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: 'ERROR ?WARN -health "a phrase"  or  { $.level = "error" }',
      "aria-describedby": "search-help",
    });
    const form = h(
      "form",
      {
        class: "search",
        role: "search",
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          this.ctx.navigate({ filter: this.search.value.trim() });
        },
      },
      h("label", { for: "search" }, "Filter pattern"),
      h("div", { class: "row" }, this.search, h("button", { type: "submit", class: "primary" }, "Search")),
      h(
        "p",
        { id: "search-help", class: "help" },
        "CloudWatch syntax: terms must all appear, ?term any of them, -term none, \"exact phrase\", JSON { $.field = \"value\" }. Press / to come here.",
      ),
    );
    this.scope = h("p", { class: "scope" });
    this.live = new LiveTailControls(
      ctx,
      () => (this.view?.group ? { group: this.view.group, stream: this.view.stream, filter: this.view.filter } : null),
      (events) => {
        this.add(events, "end");
        this.done();
      },
      (event) => this.seen.has(eventKey(event)),
      (text) => this.announce(text),
    );
    this.announcer = h("span", { class: "announce", role: "status", "data-testid": "announce" });
    this.notice = h("p", { class: "notice", hidden: true, "data-testid": "unmatched-notice" });
    this.olderButton = h("button", { type: "button", class: "more", hidden: true, onclick: () => void this.older() }, "Load older events");
    this.newerButton = h("button", { type: "button", class: "more", hidden: true, onclick: () => void this.newer() }, "Load newer events");
    this.list = h("ol", { class: "events", "data-testid": "event-list", "aria-label": "Log events" });
    this.status = h("p", { class: "status", role: "status", "data-testid": "events-status" });
    this.actions = h(
      "div",
      { class: "buttons", hidden: true },
      this.live.toggle,
      this.live.pause,
      this.live.status,
      h("button", { type: "button", "data-testid": "copy-link", onclick: () => void this.copyLink() }, "Copy link"),
      h("button", { type: "button", "data-testid": "download", onclick: () => this.download() }, "Download NDJSON"),
    );
    this.el = h(
      "section",
      { class: "pane", id: "pane-events", role: "tabpanel", "aria-labelledby": "tab-events" },
      form,
      h("div", { class: "toolbar" }, this.scope, this.actions),
      this.notice,
      this.olderButton,
      this.list,
      this.newerButton,
      this.status,
      this.announcer,
    );
  }

  focusSearch(): void {
    this.search.focus();
    this.search.select();
  }

  /** Brings the pane to `view`, reloading only when what it shows changed. */
  show(view: View): void {
    this.search.value = view.filter;
    if (key(view) === this.current) return;
    this.current = key(view);
    this.view = view;
    this.live.stop();
    this.reset();
    this.pattern = parsePattern(view.filter);
    this.actions.hidden = !view.group;
    if (!view.group) {
      this.scope.textContent = "";
      this.status.textContent = "Choose a log group.";
      return;
    }
    this.scope.replaceChildren(
      view.stream ? "Stream " : "All streams of ",
      h("strong", null, view.stream ?? view.group),
      view.stream ? ` of ${view.group}` : "",
      `, ${describe(view.range)}`,
      view.filter ? ", filtered" : "",
    );
    void this.first();
  }

  /** Stops everything (sign-out). */
  close(): void {
    this.live.stop();
    this.load?.abort();
    this.current = "";
  }

  private get streamMode(): boolean {
    return !!this.view?.stream && !this.view.filter;
  }

  private reset(): void {
    this.load?.abort();
    this.shown = [];
    this.seen.clear();
    this.showUnmatched = false;
    this.backward = this.forward = this.next = null;
    this.list.replaceChildren();
    this.notice.hidden = true;
    this.olderButton.hidden = this.newerButton.hidden = true;
    this.olderButton.disabled = false;
    this.newerButton.textContent = "Load newer events";
  }

  private begin(): AbortSignal {
    this.load?.abort();
    this.load = new AbortController();
    this.list.setAttribute("aria-busy", "true");
    this.status.textContent = "Loading events…";
    return this.load.signal;
  }

  private failed(e: unknown, signal: AbortSignal, retry: () => void): void {
    if (signal.aborted || (e instanceof DOMException && e.name === "AbortError")) return;
    this.list.removeAttribute("aria-busy");
    if (e instanceof ApiError && (e.status === 403 || e.status === 404 || e.status === 401)) {
      // Nothing may stay on screen from something the caller may not read.
      this.reset();
    }
    this.status.textContent = "Events could not be loaded.";
    this.ctx.fail(e, retry);
  }

  private async first(): Promise<void> {
    const view = this.view;
    if (!view?.group) return;
    const signal = this.begin();
    const range = resolve(view.range);
    try {
      if (this.streamMode && view.stream) {
        const page = await this.ctx.api.events(view.group, view.stream, { ...range, limit: PAGE, startFromHead: false }, signal);
        if (signal.aborted) return;
        this.backward = page.nextBackwardToken ?? null;
        this.forward = page.nextForwardToken ?? null;
        this.add(page.events, "end");
        this.olderButton.hidden = this.newerButton.hidden = false;
      } else {
        await this.searchPages(null, signal);
      }
      this.done();
    } catch (e) {
      this.failed(e, signal, () => void this.first());
    }
  }

  /** Follows FilterLogEvents pages from `token` until some events came or it ran out. */
  private async searchPages(token: string | null, signal: AbortSignal): Promise<void> {
    const view = this.view;
    if (!view?.group) return;
    const range = resolve(view.range);
    let next = token;
    let got = 0;
    for (let i = 0; i < MAX_EMPTY_PAGES && got === 0; i++) {
      const page = await this.ctx.api.filter(
        view.group,
        { ...range, pattern: view.filter, stream: view.stream, nextToken: next, limit: PAGE },
        signal,
      );
      if (signal.aborted) return;
      got += this.add(page.events, "end");
      next = page.nextToken ?? null;
      if (!next) break;
    }
    this.next = next;
    this.newerButton.hidden = this.next === null;
    this.newerButton.textContent = "Load more results";
  }

  private async older(): Promise<void> {
    const view = this.view;
    if (!view?.group || !view.stream || !this.backward) return;
    const signal = this.begin();
    const sent = this.backward;
    try {
      const page = await this.ctx.api.events(
        view.group,
        view.stream,
        { ...resolve(view.range), limit: PAGE, nextToken: sent, startFromHead: false },
        signal,
      );
      if (signal.aborted) return;
      this.add(page.events, "start");
      this.backward = page.nextBackwardToken ?? null;
      const atStart = page.events.length === 0 || this.backward === sent || this.backward === null;
      this.olderButton.disabled = atStart;
      this.done(atStart ? "The beginning of the stream (in this time range) is reached." : undefined);
    } catch (e) {
      this.failed(e, signal, () => void this.older());
    }
  }

  private async newer(): Promise<void> {
    const view = this.view;
    if (!view?.group) return;
    if (!this.streamMode) {
      const signal = this.begin();
      try {
        await this.searchPages(this.next, signal);
        this.done();
      } catch (e) {
        this.failed(e, signal, () => void this.newer());
      }
      return;
    }
    if (!view.stream || !this.forward) return;
    const signal = this.begin();
    const sent = this.forward;
    try {
      const page = await this.ctx.api.events(
        view.group,
        view.stream,
        { ...resolve(view.range), limit: PAGE, nextToken: sent, startFromHead: true },
        signal,
      );
      if (signal.aborted) return;
      const added = this.add(page.events, "end");
      this.forward = page.nextForwardToken ?? sent;
      this.done(added === 0 && this.forward === sent ? "No newer events yet." : undefined);
    } catch (e) {
      this.failed(e, signal, () => void this.newer());
    }
  }

  private done(message?: string): void {
    this.list.removeAttribute("aria-busy");
    const visible = this.visible().length;
    const range = this.view ? describe(this.view.range) : "";
    if (message) this.status.textContent = message;
    else if (visible === 0) this.status.textContent = `No events (${range}). Try a wider time range or another pattern.`;
    else this.status.textContent = `${plural(visible, "event")}${this.next ? "; more results are available" : ""}.`;
    this.renderNotice();
  }

  /** Adds events not on screen yet; returns how many were new. */
  private add(events: LogEvent[], where: "start" | "end"): number {
    const fresh: Shown[] = [];
    for (const event of events) {
      const k = eventKey(event);
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      fresh.push({ event, unmatched: matches(this.pattern, event.message ?? "") === false });
    }
    if (where === "start") this.shown.unshift(...fresh);
    else this.shown.push(...fresh);
    const rows = fresh.filter((s) => this.showUnmatched || !s.unmatched).map((s) => this.row(s));
    if (where === "start") this.list.prepend(...rows);
    else this.list.append(...rows);
    if (this.shown.length > MAX_ON_SCREEN) {
      const drop = this.shown.length - MAX_ON_SCREEN;
      this.shown.splice(0, drop).forEach((s) => this.seen.delete(eventKey(s.event)));
      this.rerender();
    }
    return fresh.length;
  }

  private row(s: Shown): HTMLLIElement {
    return eventRow(s.event, this.pattern, {
      showStream: !this.view?.stream,
      unmatched: s.unmatched,
      announce: (text) => this.announce(text),
    });
  }

  private rerender(): void {
    fill(this.list, this.visible().map((s) => this.row(s)));
  }

  private visible(): Shown[] {
    return this.shown.filter((s) => this.showUnmatched || !s.unmatched);
  }

  private renderNotice(): void {
    const n = this.shown.filter((s) => s.unmatched).length;
    this.notice.hidden = n === 0;
    if (n === 0) return;
    fill(
      this.notice,
      `${n} event${n === 1 ? "" : "s"} returned by the server do${n === 1 ? "es" : ""} not match this pattern when checked here, and ${this.showUnmatched ? "are marked" : "are hidden"}. `,
      h(
        "button",
        {
          type: "button",
          class: "small",
          onclick: () => {
            this.showUnmatched = !this.showUnmatched;
            this.rerender();
            this.done();
          },
        },
        this.showUnmatched ? "Hide them" : "Show them",
      ),
    );
  }

  private announce(text: string): void {
    this.announcer.textContent = text;
  }

  // ------------------------------------------------------------ share and keep

  private async copyLink(): Promise<void> {
    const ok = await copyText(location.href);
    this.announce(ok ? "Link copied: it holds the group, stream, range and filter, never your credential." : "Copying failed.");
  }

  private download(): void {
    const view = this.view;
    const events = this.visible().map((s) => s.event);
    if (!view?.group || events.length === 0) {
      this.announce("Nothing to download.");
      return;
    }
    const lines = events.map((e) => JSON.stringify(e)).join("\n");
    const name = ["logward", slug(view.group), view.stream ? slug(view.stream) : null, stamp()].filter(Boolean).join("-");
    download(`${name}.ndjson`, "application/x-ndjson", `${lines}\n`);
    this.announce(`Downloaded ${events.length} events.`);
  }
}
