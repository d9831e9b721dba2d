// The one place failures are shown: a banner saying what happened in words a
// customer understands, with the gateway's code for support, and what to do
// (retry, after the wait the gateway asked for).

import { ApiError } from "./api";
import { fill, h } from "./dom";

export interface Problem {
  title: string;
  detail: string;
  code: string;
  retryAfter: number | null;
  retryable: boolean;
}

export function describeError(e: unknown): Problem {
  if (!(e instanceof ApiError)) {
    return { title: "Something went wrong in the viewer", detail: String(e), code: "viewer_error", retryAfter: null, retryable: true };
  }
  const base = { detail: e.detail, code: e.code, retryAfter: e.retryAfter };
  switch (e.status) {
    case 0:
      return { ...base, title: "logward could not be reached", retryable: true };
    case 400:
      return { ...base, title: "The request was refused", retryable: false };
    case 401:
      return { ...base, title: "You are signed out: the credential was refused (expired, revoked or mistyped)", retryable: false };
    case 403:
      return { ...base, title: "Not permitted: your access does not cover this", retryable: false };
    case 404:
      return { ...base, title: "Not found: that log group or stream does not exist", retryable: false };
    case 429:
      return { ...base, title: "Rate limited", retryable: true };
    case 503:
      return { ...base, title: "logward is unavailable right now", retryable: true };
    case 504:
      return { ...base, title: "CloudWatch Logs did not answer in time", retryable: true };
    default:
      return {
        ...base,
        title: e.status >= 500 ? "CloudWatch Logs or logward failed" : `Unexpected answer (${e.status})`,
        retryable: e.status >= 500,
      };
  }
}

export class Banner {
  readonly el: HTMLElement;
  private timer: number | undefined;

  constructor() {
    this.el = h("div", { class: "banner", "data-testid": "error-banner", role: "alert", hidden: true });
  }

  show(e: unknown, retry?: () => void): void {
    this.clear();
    const p = describeError(e);
    const status = e instanceof ApiError && e.status > 0 ? `${e.status} · ` : "";
    const wait = h("span", { class: "wait" });
    const retryButton = retry && p.retryable ? h("button", { type: "button", onclick: () => { this.clear(); retry(); } }, "Retry") : null;
    fill(
      this.el,
      h("strong", { class: "title" }, p.title),
      wait,
      h("span", { class: "detail" }, p.detail),
      h("code", { class: "code" }, `${status}${p.code}`),
      h("span", { class: "actions" }, retryButton, h("button", { type: "button", onclick: () => this.clear() }, "Dismiss")),
    );
    this.el.dataset.status = e instanceof ApiError ? String(e.status) : "error";
    this.el.hidden = false;
    if (p.retryAfter !== null && p.retryAfter > 0) {
      let left = p.retryAfter;
      const tick = () => {
        wait.textContent = left > 0 ? `Retry in ${left} s.` : "You may retry now.";
        if (retryButton) retryButton.disabled = left > 0;
        if (left-- > 0) this.timer = window.setTimeout(tick, 1000);
      };
      tick();
    }
  }

  clear(): void {
    window.clearTimeout(this.timer);
    this.el.hidden = true;
    this.el.replaceChildren();
    delete this.el.dataset.status;
  }
}
