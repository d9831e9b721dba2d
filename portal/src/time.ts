// Time ranges (relative presets or absolute) and how times are shown.

export type RangeSpec = { kind: "any" } | { kind: "last"; key: RelativeKey } | { kind: "between"; start: number; end: number };

export const RELATIVE = { "5m": 5 * 60_000, "1h": 3_600_000, "1d": 86_400_000, "7d": 7 * 86_400_000 } as const;
export type RelativeKey = keyof typeof RELATIVE;

export const RELATIVE_LABELS: Record<RelativeKey, string> = {
  "5m": "Last 5 minutes",
  "1h": "Last hour",
  "1d": "Last day",
  "7d": "Last 7 days",
};

export function isRelativeKey(s: string): s is RelativeKey {
  return Object.prototype.hasOwnProperty.call(RELATIVE, s);
}

/** Epoch-ms bounds for the API, resolved now (end exclusive). */
export function resolve(range: RangeSpec, now = Date.now()): { start?: number; end?: number } {
  switch (range.kind) {
    case "any":
      return {};
    case "last":
      return { start: now - RELATIVE[range.key] };
    case "between":
      return { start: range.start, end: range.end };
  }
}

export function describe(range: RangeSpec): string {
  switch (range.kind) {
    case "any":
      return "any time";
    case "last":
      return RELATIVE_LABELS[range.key].toLowerCase();
    case "between":
      return `${formatTime(range.start)} to ${formatTime(range.end)}`;
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** Local time, `YYYY-MM-DD HH:MM:SS.mmm`. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const d = new Date(ms);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** The value of an `<input type="datetime-local">` for `ms`. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

/** "3 min ago", for stream activity. */
export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return "no events";
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
