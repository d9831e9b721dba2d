// The /v1 API as the viewer uses it: same-origin fetches carrying the
// customer's credential in the Authorization header (never in a URL), and
// every failure turned into one ApiError with the gateway's stable `code`.

export interface LogGroup {
  logGroupName: string;
  creationTime?: number | null;
  retentionInDays?: number | null;
  storedBytes?: number | null;
}

export interface LogStream {
  logStreamName: string;
  creationTime?: number | null;
  firstEventTimestamp?: number | null;
  lastEventTimestamp?: number | null;
  lastIngestionTime?: number | null;
}

export interface LogEvent {
  timestamp?: number | null;
  message?: string | null;
  ingestionTime?: number | null;
  logStreamName?: string | null;
  eventId?: string | null;
}

export interface Me {
  tenant: { id: string; name: string };
  principal: { type: "jwt"; subject?: string | null } | { type: "apiKey"; keyId: string; name: string };
}

export interface QueryResults {
  queryId: string;
  status: string;
  results: { field: string; value: string }[][];
  statistics: { recordsMatched?: number; recordsScanned?: number; bytesScanned?: number };
}

/** A failed call: the gateway's problem document, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly retryAfter: number | null = null,
  ) {
    super(`${status} ${code}: ${detail}`);
  }
}

export interface Range {
  start?: number;
  end?: number;
}

export class Api {
  private readonly base: URL;

  constructor(private readonly token: string) {
    // Relative to the page, so a proxy may mount logward under a prefix.
    this.base = new URL("../v1/", document.baseURI);
  }

  url(path: string, params?: URLSearchParams): string {
    const url = new URL(path, this.base);
    if (params && [...params.keys()].length > 0) url.search = params.toString();
    return url.toString();
  }

  /** A raw request; non-2xx answers become ApiError. */
  async request(path: string, init: RequestInit = {}, params?: URLSearchParams): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Authorization", `Bearer ${this.token}`);
    if (!headers.has("Accept")) headers.set("Accept", "application/json");
    let response: Response;
    try {
      response = await fetch(this.url(path, params), {
        ...init,
        headers,
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      throw new ApiError(0, "network", "logward could not be reached; check your connection");
    }
    if (!response.ok) throw await problem(response);
    return response;
  }

  private async json<T>(path: string, params?: URLSearchParams, init?: RequestInit): Promise<T> {
    const response = await this.request(path, init, params);
    return (await response.json()) as T;
  }

  me(signal?: AbortSignal): Promise<Me> {
    return this.json("me", undefined, { signal });
  }

  groups(prefix: string, nextToken: string | null, signal?: AbortSignal) {
    const p = new URLSearchParams();
    if (prefix) p.set("prefix", prefix);
    if (nextToken) p.set("nextToken", nextToken);
    return this.json<{ logGroups: LogGroup[]; nextToken?: string }>("log-groups", p, { signal });
  }

  streams(group: string, nextToken: string | null, signal?: AbortSignal) {
    const p = new URLSearchParams({ orderBy: "LastEventTime", descending: "true" });
    if (nextToken) p.set("nextToken", nextToken);
    return this.json<{ logStreams: LogStream[]; nextToken?: string }>(
      `log-groups/${seg(group)}/log-streams`,
      p,
      { signal },
    );
  }

  events(
    group: string,
    stream: string,
    opts: Range & { nextToken?: string | null; startFromHead?: boolean; limit: number },
    signal?: AbortSignal,
  ) {
    const p = rangeParams(opts);
    p.set("limit", String(opts.limit));
    if (opts.nextToken) p.set("nextToken", opts.nextToken);
    if (opts.startFromHead !== undefined) p.set("startFromHead", String(opts.startFromHead));
    return this.json<{ events: LogEvent[]; nextForwardToken?: string; nextBackwardToken?: string }>(
      `log-groups/${seg(group)}/log-streams/${seg(stream)}/events`,
      p,
      { signal },
    );
  }

  filter(
    group: string,
    opts: Range & { pattern: string; stream?: string | null; nextToken?: string | null; limit: number },
    signal?: AbortSignal,
  ) {
    const p = rangeParams(opts);
    if (opts.pattern) p.set("filterPattern", opts.pattern);
    if (opts.stream) p.set("logStreamNames", opts.stream);
    p.set("limit", String(opts.limit));
    if (opts.nextToken) p.set("nextToken", opts.nextToken);
    return this.json<{ events: LogEvent[]; nextToken?: string }>(`log-groups/${seg(group)}/events`, p, {
      signal,
    });
  }

  async startQuery(body: {
    logGroupNames: string[];
    queryString: string;
    startTime: number;
    endTime: number;
    limit?: number;
  }): Promise<string> {
    const r = await this.json<{ queryId: string }>("queries", undefined, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return r.queryId;
  }

  queryResults(id: string, signal?: AbortSignal) {
    return this.json<QueryResults>(`queries/${seg(id)}`, undefined, { signal });
  }

  async stopQuery(id: string): Promise<void> {
    await this.request(`queries/${seg(id)}`, { method: "DELETE" });
  }

  /** The tail's path for a stream, or a group with an optional pattern and stream. */
  tailPath(group: string, stream: string | null, pattern: string): [string, URLSearchParams] {
    if (stream && !pattern) return [`log-groups/${seg(group)}/log-streams/${seg(stream)}/tail`, new URLSearchParams()];
    const p = new URLSearchParams();
    if (pattern) p.set("filterPattern", pattern);
    if (stream) p.set("logStreamNames", stream);
    return [`log-groups/${seg(group)}/tail`, p];
  }
}

/** A path segment: a group's `/` travels as %2F, decoded once by the gateway. */
function seg(name: string): string {
  return encodeURIComponent(name);
}

function rangeParams(r: Range): URLSearchParams {
  const p = new URLSearchParams();
  if (r.start !== undefined) p.set("startTime", String(r.start));
  if (r.end !== undefined) p.set("endTime", String(r.end));
  return p;
}

async function problem(response: Response): Promise<ApiError> {
  const retry = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  const retryAfter = Number.isFinite(retry) && retry >= 0 ? retry : null;
  let code = `http_${response.status}`;
  let detail = response.statusText || "request failed";
  try {
    const body = (await response.json()) as { code?: unknown; detail?: unknown };
    if (typeof body.code === "string") code = body.code;
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // Not a problem document (a proxy's error page): status and text will do.
  }
  return new ApiError(response.status, code, detail, retryAfter);
}
