// Live tail over the gateway's Server-Sent Events. EventSource cannot send an
// Authorization header, so the stream is read with fetch and parsed here. A
// dropped connection is resumed with Last-Event-ID; an `end` event (the
// credential or policy no longer allows it, or the gateway shuts down) ends
// the tail for good.

import { Api, ApiError, LogEvent } from "./api";

export interface SseMessage {
  id: string | null;
  event: string;
  data: string;
}

/** Incremental text/event-stream parser: feed it text, get whole messages. */
export class SseParser {
  private buffer = "";
  private id: string | null = null;
  private event = "";
  private data: string[] = [];

  constructor(
    private readonly onMessage: (m: SseMessage) => void,
    private readonly onComment: (text: string) => void = () => {},
    private readonly onRetry: (ms: number) => void = () => {},
  ) {}

  feed(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      // A lone trailing \r may be the first half of \r\n: wait for more.
      if (!match || (match[0] === "\r" && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) {
        this.onMessage({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
      }
      this.event = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) {
      this.onComment(line.slice(1).trim());
      return;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.onRetry(Number(value));
  }
}

export interface TailHandlers {
  /** Connected (again); `resumed` is true after a reconnect. */
  onOpen(resumed: boolean): void;
  onEvent(event: LogEvent): void;
  /** Connection lost; retrying in `ms`. */
  onRetrying(ms: number): void;
  /** The tail is over: ended by the gateway (reason), refused (error), or stopped. */
  onClose(reason: { ended?: string; error?: ApiError }): void;
  /** The gateway skipped events this client was too slow to take. */
  onDropped(text: string): void;
}

const MAX_RETRIES = 8;

export class Tail {
  private controller: AbortController | null = null;
  private lastEventId: string | null = null;
  private retryMs = 2000;
  private stopped = false;

  constructor(
    private readonly api: Api,
    private readonly group: string,
    private readonly stream: string | null,
    private readonly pattern: string,
    private readonly handlers: TailHandlers,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      this.controller = new AbortController();
      let outcome: "ended" | "lost";
      try {
        outcome = await this.connect(this.controller.signal, failures > 0 || this.lastEventId !== null);
        failures = 0;
      } catch (e) {
        if (this.stopped) return;
        if (e instanceof ApiError && e.status !== 0) {
          this.stopped = true;
          this.handlers.onClose({ error: e });
          return;
        }
        outcome = "lost";
      }
      if (outcome === "ended" || this.stopped) return;
      failures += 1;
      if (failures > MAX_RETRIES) {
        this.stopped = true;
        this.handlers.onClose({ error: new ApiError(0, "network", "the live tail lost its connection") });
        return;
      }
      const wait = Math.min(this.retryMs * 2 ** (failures - 1), 30_000);
      this.handlers.onRetrying(wait);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** One connection; resolves when it ends, "ended" when the gateway said so. */
  private async connect(signal: AbortSignal, resumed: boolean): Promise<"ended" | "lost"> {
    const [path, params] = this.api.tailPath(this.group, this.stream, this.pattern);
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
    const response = await this.api.request(path, { headers, signal }, params);
    if (!response.body) throw new ApiError(0, "network", "the browser gave no response body");
    let ended: string | null = null;
    const parser = new SseParser(
      (m) => {
        if (m.event === "end") {
          ended = endReason(m.data);
          return;
        }
        if (m.id) this.lastEventId = m.id;
        try {
          this.handlers.onEvent(JSON.parse(m.data) as LogEvent);
        } catch {
          this.handlers.onEvent({ message: m.data });
        }
      },
      (comment) => {
        if (comment === "connected") this.handlers.onOpen(resumed);
        else if (comment.includes("dropped")) this.handlers.onDropped(comment);
      },
      (ms) => {
        this.retryMs = ms;
      },
    );
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value);
        if (ended !== null) {
          this.stopped = true;
          await reader.cancel().catch(() => {});
          this.handlers.onClose({ ended });
          return "ended";
        }
      }
    } catch (e) {
      if (signal.aborted) return "ended";
      throw e;
    }
    return "lost";
  }
}

function endReason(data: string): string {
  try {
    const body = JSON.parse(data) as { reason?: unknown };
    if (typeof body.reason === "string") return body.reason;
  } catch {
    // fall through
  }
  return data || "ended by the gateway";
}
