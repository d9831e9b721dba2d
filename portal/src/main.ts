// Entry point: take a handed-over credential out of the fragment, then show
// the sign-in form or the viewer. Signing out forgets everything this tab
// stored and stops every open request.

import { ApiError } from "./api";
import { App } from "./app";
import { Banner } from "./banner";
import { h } from "./dom";
import { clearSession, credentialProblem, loadToken, saveToken, takeTokenFromFragment } from "./session";

const root = document.getElementById("app") as HTMLElement;
let app: App | null = null;

function signIn(reason?: unknown): void {
  const banner = new Banner();
  const input = h("input", {
    id: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    "data-testid": "token-input",
    "aria-describedby": "token-help",
    required: true,
  });
  const form = h(
    "form",
    {
      class: "signin",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const token = input.value.trim();
        const problem = credentialProblem(token);
        if (problem) {
          banner.show(new ApiError(400, "invalid_credential", problem));
          input.focus();
          return;
        }
        saveToken(token);
        open(token);
      },
    },
    h("h1", null, "logward ", h("span", null, "logs")),
    h("p", null, "Read, search and tail your own logs."),
    banner.el,
    h("label", { for: "token" }, "API key or access token"),
    input,
    h(
      "p",
      { id: "token-help", class: "help" },
      "Paste an API key (lwk_…) or a JWT from your portal. It is kept in this browser tab only and forgotten when you sign out or close the tab.",
    ),
    h("button", { type: "submit", class: "primary", "data-testid": "sign-in" }, "Sign in"),
  );
  root.replaceChildren(h("main", { class: "signin-page" }, form));
  if (reason) banner.show(reason);
  input.focus();
}

function open(token: string): void {
  const viewer = new App(token, signOut);
  app = viewer;
  root.replaceChildren(viewer.el);
  void viewer.start();
}

function signOut(reason?: unknown): void {
  app?.close();
  app = null;
  clearSession();
  signIn(reason ?? null);
  if (!reason) {
    const note = document.querySelector(".signin p");
    if (note) note.textContent = "You are signed out.";
  }
}

const handed = takeTokenFromFragment();
if (handed) saveToken(handed);
const token = loadToken();
if (token) open(token);
else signIn();

// Another tab of this page cannot see this tab's sessionStorage, but a
// sign-out elsewhere in this tab's history (bfcache) should still hold.
window.addEventListener("pageshow", (ev) => {
  if (ev.persisted && !loadToken()) signOut();
});
