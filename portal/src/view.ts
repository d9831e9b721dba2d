// What is on screen, as a URL fragment: a permalink holds the group, stream,
// time range, filter pattern and tab, and never the credential.

import { RangeSpec, isRelativeKey } from "./time";

export interface View {
  group: string | null;
  stream: string | null;
  filter: string;
  range: RangeSpec;
  tab: "events" | "insights";
  query: string;
}

export const DEFAULT_QUERY = "fields @timestamp, @logStream, @message\n| sort @timestamp desc\n| limit 100";

export function emptyView(): View {
  return { group: null, stream: null, filter: "", range: { kind: "any" }, tab: "events", query: DEFAULT_QUERY };
}

export function parseView(fragment: string): View {
  const p = new URLSearchParams(fragment.replace(/^#/, ""));
  const view = emptyView();
  view.group = p.get("group") || null;
  view.stream = view.group ? p.get("stream") || null : null;
  view.filter = p.get("filter") ?? "";
  view.tab = p.get("tab") === "insights" ? "insights" : "events";
  view.query = p.get("query") || DEFAULT_QUERY;
  const range = p.get("range");
  const start = Number(p.get("start"));
  const end = Number(p.get("end"));
  if (range && isRelativeKey(range)) view.range = { kind: "last", key: range };
  else if (p.has("start") && p.has("end") && Number.isFinite(start) && Number.isFinite(end) && start <= end) {
    view.range = { kind: "between", start, end };
  }
  return view;
}

export function formatView(view: View): string {
  const p = new URLSearchParams();
  if (view.group) p.set("group", view.group);
  if (view.group && view.stream) p.set("stream", view.stream);
  if (view.range.kind === "last") p.set("range", view.range.key);
  if (view.range.kind === "between") {
    p.set("start", String(view.range.start));
    p.set("end", String(view.range.end));
  }
  if (view.filter) p.set("filter", view.filter);
  if (view.tab === "insights") {
    p.set("tab", "insights");
    if (view.query !== DEFAULT_QUERY) p.set("query", view.query);
  }
  const s = p.toString();
  return s ? `#${s}` : "";
}
