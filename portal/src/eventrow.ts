// One log event on screen: time, stream, the message with the search terms
// marked, and its actions (copy; pretty-print when the message is JSON).

import { LogEvent } from "./api";
import { h } from "./dom";
import { Pattern, highlights } from "./pattern";
import { formatTime } from "./time";
import { copyText } from "./util";

/** The message's text with `<mark>` around what the pattern matched. */
export function marked(text: string, pattern: Pattern): Node[] {
  const out: Node[] = [];
  let at = 0;
  for (const [start, end] of highlights(pattern, text)) {
    if (start > at) out.push(document.createTextNode(text.slice(at, start)));
    out.push(h("mark", null, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}

function prettyJson(message: string): string | null {
  const trimmed = message.trim();
  if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) return null;
  try {
    return JSON.stringify(JSON.parse(trimmed), null, 2);
  } catch {
    return null;
  }
}

export function eventRow(
  event: LogEvent,
  pattern: Pattern,
  opts: { showStream: boolean; unmatched: boolean; announce: (text: string) => void },
): HTMLLIElement {
  const message = event.message ?? "";
  const body = h("pre", { class: "message" }, marked(message, pattern));
  const pretty = prettyJson(message);
  let expanded = false;
  const toggle = pretty
    ? h(
        "button",
        {
          type: "button",
          class: "small",
          "aria-pressed": "false",
          "data-testid": "pretty-toggle",
          onclick: () => {
            expanded = !expanded;
            body.replaceChildren(...marked(expanded ? pretty : message, pattern));
            body.classList.toggle("pretty", expanded);
            toggle?.setAttribute("aria-pressed", String(expanded));
          },
        },
        "Pretty JSON",
      )
    : null;
  const copy = h(
    "button",
    {
      type: "button",
      class: "small",
      "data-testid": "copy-event",
      onclick: async () => {
        const ok = await copyText(message);
        opts.announce(ok ? "Event copied to the clipboard." : "Copying failed: select the text and copy it.");
      },
    },
    "Copy",
  );
  const stream = event.logStreamName;
  return h(
    "li",
    { class: opts.unmatched ? "event unmatched" : "event", "data-event-id": event.eventId ?? null },
    h(
      "div",
      { class: "meta" },
      h("time", { datetime: event.timestamp ? new Date(event.timestamp).toISOString() : null }, formatTime(event.timestamp)),
      opts.showStream && stream ? h("span", { class: "stream", title: "Log stream" }, stream) : null,
      opts.unmatched ? h("span", { class: "tag" }, "not a match here") : null,
      h("span", { class: "actions" }, toggle, copy),
    ),
    body,
  );
}
