// The left column: the log groups the tenant can see (with a filter box) and
// the streams of the chosen group, newest activity first.

import { LogGroup, LogStream } from "./api";
import { fill, h } from "./dom";
import type { Ctx } from "./app";
import { ago, formatTime } from "./time";
import { plural } from "./util";

export class Sidebar {
  readonly el: HTMLElement;
  private readonly filter: HTMLInputElement;
  private readonly groupList: HTMLUListElement;
  private readonly groupStatus: HTMLElement;
  private readonly moreGroups: HTMLButtonElement;
  private readonly streamSection: HTMLElement;
  private readonly streamTitle: HTMLElement;
  private readonly streamList: HTMLUListElement;
  private readonly streamStatus: HTMLElement;
  private readonly moreStreams: HTMLButtonElement;
  private groups: LogGroup[] = [];
  private groupToken: string | null = null;
  private streams: LogStream[] = [];
  private streamToken: string | null = null;
  private streamsOf: string | null = null;
  private streamLoad: AbortController | null = null;

  constructor(private readonly ctx: Ctx) {
    this.filter = h("input", {
      id: "group-filter",
      type: "search",
      autocomplete: "off",
      spellcheck: "false",
      placeholder: "Type to filter",
      oninput: () => this.renderGroups(),
    });
    this.groupList = h("ul", { class: "list", "data-testid": "group-list", "aria-label": "Log groups" });
    this.groupStatus = h("p", { class: "status", role: "status" });
    this.moreGroups = h("button", { type: "button", class: "more", hidden: true, onclick: () => void this.loadGroups(false) }, "Load more groups");
    this.streamTitle = h("h2", { id: "streams-title" }, "Streams");
    this.streamList = h("ul", { class: "list", "data-testid": "stream-list", "aria-labelledby": "streams-title" });
    this.streamStatus = h("p", { class: "status", role: "status" });
    this.moreStreams = h("button", { type: "button", class: "more", hidden: true, onclick: () => void this.loadStreams(false) }, "Load more streams");
    this.streamSection = h("section", { class: "streams", hidden: true }, this.streamTitle, this.streamList, this.moreStreams, this.streamStatus);
    this.el = h(
      "nav",
      { class: "sidebar", "aria-label": "Log groups and streams" },
      h(
        "section",
        { class: "groups" },
        h("h2", null, "Log groups"),
        h("label", { for: "group-filter" }, "Filter log groups"),
        this.filter,
        this.groupList,
        this.moreGroups,
        this.groupStatus,
      ),
      this.streamSection,
    );
  }

  focusFilter(): void {
    this.filter.focus();
  }

  async loadGroups(fresh: boolean): Promise<void> {
    if (fresh) {
      this.groups = [];
      this.groupToken = null;
    }
    this.groupStatus.textContent = "Loading log groups…";
    this.groupList.setAttribute("aria-busy", "true");
    try {
      const page = await this.ctx.api.groups("", this.groupToken);
      this.groups.push(...page.logGroups);
      this.groupToken = page.nextToken ?? null;
      this.renderGroups();
    } catch (e) {
      this.groupStatus.textContent = "Log groups could not be loaded.";
      this.ctx.fail(e, () => void this.loadGroups(fresh));
    } finally {
      this.groupList.removeAttribute("aria-busy");
    }
  }

  renderGroups(): void {
    const needle = this.filter.value.trim().toLowerCase();
    const shown = this.groups.filter((g) => g.logGroupName.toLowerCase().includes(needle));
    const current = this.ctx.view().group;
    fill(
      this.groupList,
      shown.map((g) =>
        h(
          "li",
          null,
          h(
            "button",
            {
              type: "button",
              class: "item",
              "aria-current": g.logGroupName === current ? "true" : null,
              title: g.creationTime ? `Created ${formatTime(g.creationTime)}` : null,
              onclick: () => this.ctx.navigate({ group: g.logGroupName, stream: null }),
            },
            g.logGroupName,
          ),
        ),
      ),
    );
    this.moreGroups.hidden = this.groupToken === null;
    if (this.groups.length === 0) this.groupStatus.textContent = "You have no log groups to read.";
    else if (shown.length === 0) this.groupStatus.textContent = `No loaded log group contains "${this.filter.value.trim()}".`;
    else this.groupStatus.textContent = `${shown.length} of ${plural(this.groups.length, "log group")}${this.groupToken ? " loaded" : ""}.`;
  }

  /** Shows the streams of `group` (loading them when the group changed). */
  async showStreams(group: string | null): Promise<void> {
    this.renderGroups();
    if (group === this.streamsOf) {
      this.renderStreams();
      return;
    }
    this.streamsOf = group;
    this.streams = [];
    this.streamToken = null;
    this.streamList.replaceChildren();
    this.streamSection.hidden = group === null;
    if (group === null) return;
    this.streamTitle.textContent = `Streams of ${group}`;
    await this.loadStreams(true);
  }

  private async loadStreams(fresh: boolean): Promise<void> {
    const group = this.streamsOf;
    if (group === null) return;
    this.streamLoad?.abort();
    const load = new AbortController();
    this.streamLoad = load;
    this.streamStatus.textContent = "Loading streams…";
    this.streamList.setAttribute("aria-busy", "true");
    try {
      const page = await this.ctx.api.streams(group, fresh ? null : this.streamToken, load.signal);
      if (load.signal.aborted || group !== this.streamsOf) return;
      this.streams.push(...page.logStreams);
      this.streamToken = page.nextToken ?? null;
      this.renderStreams();
    } catch (e) {
      if (load.signal.aborted) return;
      // Nothing of a refused group stays on screen; a retry starts afresh.
      this.streams = [];
      this.streamsOf = null;
      this.streamList.replaceChildren();
      this.moreStreams.hidden = true;
      this.streamStatus.textContent = "Streams could not be loaded.";
      this.ctx.fail(e, () => void this.showStreams(group));
    } finally {
      if (this.streamLoad === load) this.streamList.removeAttribute("aria-busy");
    }
  }

  private renderStreams(): void {
    const current = this.ctx.view().stream;
    const item = (label: string, stream: string | null, note: string | null) =>
      h(
        "li",
        null,
        h(
          "button",
          {
            type: "button",
            class: "item",
            "aria-current": stream === current ? "true" : null,
            onclick: () => this.ctx.navigate({ stream }),
          },
          h("span", { class: "name" }, label),
          note ? h("small", null, note) : null,
        ),
      );
    fill(
      this.streamList,
      this.streams.length > 0 ? item("All streams", null, "search the whole group") : null,
      this.streams.map((s) =>
        item(s.logStreamName, s.logStreamName, s.lastEventTimestamp ? `last event ${ago(s.lastEventTimestamp)}` : "no events yet"),
      ),
    );
    this.moreStreams.hidden = this.streamToken === null;
    this.streamStatus.textContent =
      this.streams.length === 0
        ? "This group has no streams you may read."
        : `${plural(this.streams.length, "stream")}, newest activity first.`;
  }
}
