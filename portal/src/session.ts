// Where the credential lives: sessionStorage of this tab only (gone when the
// tab closes, never sent anywhere but the Authorization header). A portal
// hands it over in the URL fragment (`#token=…`), which browsers never send
// to a server; the viewer takes it out of the address bar at once, so it is
// not left in the history, a bookmark or a copied link.

const KEY = "logward.token";

/** Takes `token` out of the fragment (keeping the rest); returns it, if any. */
export function takeTokenFromFragment(): string | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const token = params.get("token");
  if (token === null) return null;
  params.delete("token");
  const rest = params.toString();
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  return token.trim() || null;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function loadToken(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Forgets everything this tab stored. */
export function clearSession(): void {
  sessionStorage.clear();
}

/** A credential's shape, before asking the gateway: an API key or a JWT. */
export function credentialProblem(token: string): string | null {
  if (token === "") return "Paste an API key or a token.";
  if (/\s/.test(token)) return "A credential has no spaces or line breaks.";
  if (/^lw[ka]_/.test(token) || /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token)) return null;
  return "That is neither an API key (lwk_…) nor a JWT (three parts separated by dots).";
}

/** When a JWT expires (epoch ms), read without verifying: only to tell the user. */
export function jwtExpiry(token: string): number | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const json = atob(parts[1].replace(/-/g, "+").replace(/_/g, "/"));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}
