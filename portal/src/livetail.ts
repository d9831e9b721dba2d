// The live-tail controls of the events pane: start/stop, pause/resume with a
// count of the events held back, and a status line. Events go to `deliver`;
// while paused they wait here.

import { LogEvent } from "./api";
import type { Ctx } from "./app";
import { h } from "./dom";
import { Tail } from "./tail";
import { plural } from "./util";

export interface TailTarget {
  group: string;
  stream: string | null;
  filter: string;
}

export class LiveTailControls {
  readonly toggle: HTMLButtonElement;
  readonly pause: HTMLButtonElement;
  readonly status: HTMLElement;
  private tail: Tail | null = null;
  private paused = false;
  private held: LogEvent[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly target: () => TailTarget | null,
    private readonly deliver: (events: LogEvent[]) => void,
    /** Whether an event is on screen already (a resumed tail may repeat some). */
    private readonly known: (event: LogEvent) => boolean,
    private readonly announce: (text: string) => void,
  ) {
    this.toggle = h(
      "button",
      { type: "button", "data-testid": "tail-toggle", "aria-pressed": "false", onclick: () => this.toggleTail() },
      "Live tail",
    );
    this.pause = h(
      "button",
      { type: "button", "data-testid": "tail-pause", hidden: true, "aria-pressed": "false", onclick: () => this.togglePause() },
      "Pause",
    );
    this.status = h("span", { class: "tail-status", "data-testid": "tail-status", role: "status" });
  }

  private state(text: string, state?: string): void {
    this.status.textContent = text;
    if (state) this.status.dataset.state = state;
    else delete this.status.dataset.state;
  }

  private toggleTail(): void {
    if (this.tail) {
      this.stop();
      this.state("Live tail stopped.");
      return;
    }
    const target = this.target();
    if (!target) return;
    this.toggle.setAttribute("aria-pressed", "true");
    this.toggle.textContent = "Stop live tail";
    this.pause.hidden = false;
    this.state("Connecting…");
    this.tail = new Tail(this.ctx.api, target.group, target.stream, target.filter, {
      onOpen: (resumed) => this.state(resumed ? "Live again (resumed)." : "Live: new events appear below.", "live"),
      onEvent: (event) => {
        if (!this.paused) {
          this.deliver([event]);
          return;
        }
        if (this.known(event) || this.held.some((e) => sameEvent(e, event))) return;
        this.held.push(event);
        this.renderPause();
      },
      onRetrying: (ms) => this.state(`Connection lost; reconnecting in ${Math.round(ms / 1000)} s…`, "retrying"),
      onDropped: (text) => this.announce(`Some events were skipped: ${text}`),
      onClose: ({ ended, error }) => {
        this.stop();
        if (error) {
          this.state("Live tail refused.");
          this.ctx.fail(error);
        } else {
          this.state(`Live tail ended: ${ended ?? "closed"}.`);
        }
      },
    });
    this.tail.start();
  }

  private togglePause(): void {
    this.paused = !this.paused;
    if (!this.paused) {
      const events = this.held;
      this.held = [];
      this.deliver(events);
    }
    this.renderPause();
  }

  private renderPause(): void {
    const n = this.held.length;
    this.pause.setAttribute("aria-pressed", String(this.paused));
    this.pause.textContent = this.paused ? `Resume (${n} new)` : "Pause";
    if (this.paused) this.state(`Paused: ${plural(n, "new event")} waiting.`, "paused");
    else if (this.tail) this.state("Live: new events appear below.", "live");
  }

  /** Ends the tail (a new view, sign-out); held events are dropped with it. */
  stop(): void {
    this.tail?.stop();
    this.tail = null;
    this.paused = false;
    this.held = [];
    this.toggle.setAttribute("aria-pressed", "false");
    this.toggle.textContent = "Live tail";
    this.pause.hidden = true;
    this.pause.setAttribute("aria-pressed", "false");
    this.pause.textContent = "Pause";
    this.state("");
  }
}

function sameEvent(a: LogEvent, b: LogEvent): boolean {
  if (a.eventId || b.eventId) return a.eventId === b.eventId;
  return a.timestamp === b.timestamp && a.message === b.message && a.logStreamName === b.logStreamName;
}
