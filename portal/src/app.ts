// The signed-in viewer: header, time range, tabs, and navigation. Every move
// goes through the URL fragment (so Back works and a link reproduces the
// view); `apply` brings the panes to what the fragment says.

import { Api, ApiError, Me } from "./api";
import { Banner } from "./banner";
import { fill, h } from "./dom";
import { EventsPane } from "./events";
import { InsightsPane } from "./insights";
import { jwtExpiry } from "./session";
import { Sidebar } from "./sidebar";
import { RELATIVE, RELATIVE_LABELS, RangeSpec, formatTime, fromLocalInput, isRelativeKey, toLocalInput } from "./time";
import { View, formatView, parseView } from "./view";

/** What the panes share. */
export interface Ctx {
  api: Api;
  view(): View;
  navigate(patch: Partial<View>): void;
  /** Shows a failure; a 401 signs out. */
  fail(e: unknown, retry?: () => void): void;
}

export class App implements Ctx {
  readonly el: HTMLElement;
  readonly api: Api;
  private readonly banner = new Banner();
  private readonly sidebar: Sidebar;
  private readonly events: EventsPane;
  private readonly insights: InsightsPane;
  private readonly rangeSelect: HTMLSelectElement;
  private readonly custom: HTMLElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly tabs: Record<View["tab"], HTMLButtonElement>;
  private readonly who: HTMLElement;
  private current: View = parseView(location.hash);
  private expiryTimer: number | undefined;
  private readonly onHash = () => this.apply(parseView(location.hash));
  private readonly onKey = (ev: KeyboardEvent) => this.key(ev);

  constructor(
    private readonly token: string,
    private readonly signOut: (reason?: unknown) => void,
  ) {
    this.api = new Api(token);
    this.sidebar = new Sidebar(this);
    this.events = new EventsPane(this);
    this.insights = new InsightsPane(this);
    this.who = h("p", { class: "who", "data-testid": "who" });

    this.rangeSelect = h(
      "select",
      { id: "range", "data-testid": "range-select", onchange: () => this.rangeChanged() },
      h("option", { value: "any" }, "Any time"),
      Object.keys(RELATIVE).map((k) => h("option", { value: k }, RELATIVE_LABELS[k as keyof typeof RELATIVE])),
      h("option", { value: "between" }, "Between…"),
    );
    this.from = h("input", { id: "range-from", type: "datetime-local" });
    this.to = h("input", { id: "range-to", type: "datetime-local" });
    this.custom = h(
      "span",
      { class: "custom", hidden: true },
      h("label", { for: "range-from" }, "From"),
      this.from,
      h("label", { for: "range-to" }, "To"),
      this.to,
      h("button", { type: "button", "data-testid": "range-apply", onclick: () => this.applyCustomRange() }, "Apply"),
    );
    const tab = (id: View["tab"], label: string) =>
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${id}`,
          "aria-controls": `pane-${id}`,
          onclick: () => this.navigate({ tab: id }),
          onkeydown: (ev: Event) => this.tabKey(ev as KeyboardEvent),
        },
        label,
      );
    this.tabs = { events: tab("events", "Events"), insights: tab("insights", "Insights") };

    this.el = h(
      "div",
      { class: "shell" },
      h(
        "header",
        { class: "top" },
        h("h1", null, "logward ", h("span", null, "logs")),
        this.who,
        h("button", { type: "button", "data-testid": "sign-out", onclick: () => this.signOut() }, "Sign out"),
      ),
      this.banner.el,
      h(
        "div",
        { class: "layout" },
        this.sidebar.el,
        h(
          "main",
          { class: "content", id: "content" },
          h(
            "div",
            { class: "controls" },
            h("div", { class: "tabs", role: "tablist", "aria-label": "Views" }, this.tabs.events, this.tabs.insights),
            h("div", { class: "range" }, h("label", { for: "range" }, "Time range"), this.rangeSelect, this.custom),
          ),
          this.events.el,
          this.insights.el,
        ),
      ),
    );
  }

  /** Checks the credential, then shows the view the fragment names. */
  async start(): Promise<void> {
    let me: Me;
    try {
      me = await this.api.me();
    } catch (e) {
      this.fail(e, () => void this.start());
      return;
    }
    this.showWho(me);
    window.addEventListener("hashchange", this.onHash);
    document.addEventListener("keydown", this.onKey);
    this.apply(this.current, true);
    void this.sidebar.loadGroups(true);
    this.sidebar.focusFilter();
  }

  close(): void {
    window.removeEventListener("hashchange", this.onHash);
    document.removeEventListener("keydown", this.onKey);
    window.clearTimeout(this.expiryTimer);
    this.events.close();
    this.insights.close();
    this.banner.clear();
  }

  view(): View {
    return this.current;
  }

  navigate(patch: Partial<View>): void {
    const next = { ...this.current, ...patch };
    if (patch.group !== undefined && patch.group !== this.current.group) next.stream = patch.stream ?? null;
    const fragment = formatView(next);
    if (fragment === (location.hash === "#" ? "" : location.hash)) {
      this.apply(next);
      return;
    }
    // A new history entry; `hashchange` applies it.
    location.hash = fragment || "#";
  }

  fail(e: unknown, retry?: () => void): void {
    if (e instanceof ApiError && e.status === 401) {
      this.signOut(e);
      return;
    }
    this.banner.show(e, retry);
  }

  private apply(view: View, first = false): void {
    const groupChanged = first || view.group !== this.current.group;
    this.current = view;
    if (groupChanged) this.banner.clear();
    this.renderRange(view.range);
    for (const [id, button] of Object.entries(this.tabs)) {
      const on = id === view.tab;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
    }
    this.events.el.hidden = view.tab !== "events";
    this.insights.el.hidden = view.tab !== "insights";
    void this.sidebar.showStreams(view.group);
    this.events.show(view);
    this.insights.show(view);
    document.title = view.group ? `${view.stream ?? view.group} · logward` : "Logs · logward";
  }

  private showWho(me: Me): void {
    const principal = me.principal.type === "apiKey" ? `API key "${me.principal.name}"` : `user ${me.principal.subject ?? "(no subject)"}`;
    const expiry = jwtExpiry(this.token);
    fill(this.who, h("strong", null, me.tenant.name), ` · ${principal}`, expiry ? ` · until ${formatTime(expiry).slice(0, 16)}` : "");
    if (expiry) {
      // Timers fire at most ~24.8 days ahead; a token living longer needs no timer.
      const left = expiry - Date.now();
      if (left < 2 ** 31 - 1) {
        this.expiryTimer = window.setTimeout(() => this.signOut(new ApiError(401, "unauthenticated", "your session has expired")), Math.max(0, left));
      }
    }
  }

  private renderRange(range: RangeSpec): void {
    this.rangeSelect.value = range.kind === "last" ? range.key : range.kind;
    this.custom.hidden = range.kind !== "between";
    if (range.kind === "between") {
      this.from.value = toLocalInput(range.start);
      this.to.value = toLocalInput(range.end);
    }
  }

  private rangeChanged(): void {
    const v = this.rangeSelect.value;
    if (v === "between") {
      const now = Date.now();
      if (!this.from.value) this.from.value = toLocalInput(now - 3_600_000);
      if (!this.to.value) this.to.value = toLocalInput(now);
      this.custom.hidden = false;
      this.from.focus();
      return;
    }
    this.navigate({ range: isRelativeKey(v) ? { kind: "last", key: v } : { kind: "any" } });
  }

  private applyCustomRange(): void {
    const start = fromLocalInput(this.from.value);
    const end = fromLocalInput(this.to.value);
    if (start === null || end === null || end < start) {
      this.banner.show(new ApiError(400, "invalid_range", "Choose a start and an end, the end not before the start."));
      return;
    }
    this.navigate({ range: { kind: "between", start, end: end + 59_999 } });
  }

  private tabKey(ev: KeyboardEvent): void {
    if (ev.key !== "ArrowLeft" && ev.key !== "ArrowRight") return;
    const next: View["tab"] = this.current.tab === "events" ? "insights" : "events";
    this.navigate({ tab: next });
    this.tabs[next].focus();
  }

  private key(ev: KeyboardEvent): void {
    const target = ev.target as HTMLElement | null;
    const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT");
    if (ev.key === "/" && !typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      if (this.current.tab !== "events") this.navigate({ tab: "events" });
      this.events.focusSearch();
    }
  }
}
