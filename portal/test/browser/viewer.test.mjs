// The viewer in a real browser (Debian's Chromium driven by playwright-core)
// against a real gateway with Postgres and moto. Started by the Rust test
// `portal::the_viewer_works_in_a_real_browser` (tests/api/portal.rs), which
// creates the tenants, seeds the logs and passes everything in PORTAL_*
// variables; PORTAL_PUT_URL writes an event into moto through the AWS SDK.

import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through \`./scripts/test --test api portal\``);
  return value;
}

const BASE = env("PORTAL_BASE_URL");
const KEY_A = env("PORTAL_KEY_A");
const JWT_A = env("PORTAL_JWT_A");
const JWT_SLOW = env("PORTAL_JWT_SLOW");
const GROUPS_A = JSON.parse(env("PORTAL_GROUPS_A"));
const GROUP_APP = env("PORTAL_GROUP_APP");
const GROUP_JSON = env("PORTAL_GROUP_JSON");
const GROUP_B = env("PORTAL_GROUP_B");
const GROUP_SLOW = env("PORTAL_GROUP_SLOW");
const PUT_URL = env("PORTAL_PUT_URL");
const ERROR_EVENTS = JSON.parse(env("PORTAL_ERROR_EVENTS"));
const SHOTS = env("PORTAL_SCREENSHOTS");
const MARKUP = env("PORTAL_MARKUP");
const BROKEN = env("PORTAL_BROKEN_URL");
const CHROMIUM = process.env.PORTAL_CHROMIUM || "/usr/bin/chromium";
const WAIT = 20_000;

let browser;

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

after(async () => {
  await browser?.close();
});

/** A fresh browser profile (its own sessionStorage) that records console errors. */
async function open(t, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
  t.after(() => context.close());
  return { page, context, errors };
}

async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });
}

async function signIn(page, token) {
  await page.goto(`${BASE}/portal/`);
  await page.getByTestId("token-input").fill(token);
  await page.getByTestId("sign-in").click();
  await page.getByTestId("group-list").locator("li").first().waitFor();
}

const items = (page, testId) => page.getByTestId(testId).locator("li");
const messages = (page) => page.getByTestId("event-list").locator("li .message").allTextContents();

async function put(stream, message) {
  const r = await fetch(PUT_URL, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ group: GROUP_APP, stream, message }),
  });
  assert.equal(r.status, 204, await r.text());
}

/** Console errors the browser logs for the refusals a test provoked on purpose. */
function unexpected(errors, ...statuses) {
  return errors.filter((e) => !statuses.some((s) => e.startsWith(`Failed to load resource: the server responded with a status of ${s}`)));
}

test("signing in with tenant A's key lists exactly A's groups", async (t) => {
  const { page, errors } = await open(t);
  await signIn(page, KEY_A);
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=group-list] li").length === n, GROUPS_A.length);
  const names = await items(page, "group-list").allTextContents();
  assert.deepEqual([...names].sort(), [...GROUPS_A].sort());
  assert.ok(!names.includes(GROUP_B));
  assert.match(await page.getByTestId("who").textContent(), /Tenant acme/);
  // The filter box narrows the list.
  await page.getByLabel("Filter log groups").fill("json");
  assert.deepEqual(await items(page, "group-list").allTextContents(), [GROUP_JSON]);
  await shot(page, "groups");
  assert.deepEqual(errors, []);
});

test("a stream's events page to older and newer", async (t) => {
  const { page, errors } = await open(t);
  await signIn(page, KEY_A);
  await items(page, "group-list").filter({ hasText: GROUP_APP }).getByRole("button").click();
  const streams = items(page, "stream-list");
  await streams.filter({ hasText: "web-1" }).first().waitFor();
  // Newest activity first: web-2 was written after web-1.
  const order = await streams.locator(".name").allTextContents();
  assert.deepEqual(order, ["All streams", "web-2", "web-1"]);
  await streams.filter({ hasText: "web-1" }).getByRole("button").click();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=event-list] li").length === 100);
  let shown = await messages(page);
  assert.equal(shown[0], "line 051");
  assert.equal(shown[99], "line 150");
  await page.getByRole("button", { name: "Load older events" }).click();
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=event-list] li").length === 150);
  shown = await messages(page);
  assert.deepEqual(shown.slice(0, 2), ["line 001", "line 002"]);
  await page.getByRole("button", { name: "Load older events" }).click();
  await page.getByTestId("events-status").filter({ hasText: "beginning of the stream" }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Load older events" }).isDisabled());
  await page.getByRole("button", { name: "Load newer events" }).click();
  await page.getByTestId("events-status").filter({ hasText: "No newer events yet" }).waitFor();
  assert.equal(await items(page, "event-list").count(), 150);
  assert.match(page.url(), /#group=.*&stream=web-1/);
  await shot(page, "stream");
  assert.deepEqual(errors, []);
});

test("a JSON search shows only matching events, highlighted, pretty-printed, downloadable and linkable", async (t) => {
  const { page, errors } = await open(t, { width: 1200, height: 720 });
  await signIn(page, KEY_A);
  await items(page, "group-list").filter({ hasText: GROUP_JSON }).getByRole("button").click();
  const pattern = '{ $.level = "error" }';
  await page.getByTestId("search-input").fill(pattern);
  await page.getByTestId("search-input").press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=event-list] li").length === n, ERROR_EVENTS.length);
  await page.getByTestId("events-status").filter({ hasText: `${ERROR_EVENTS.length} events` }).waitFor();
  assert.deepEqual(await messages(page), ERROR_EVENTS);
  const marks = await page.getByTestId("event-list").locator("mark").allTextContents();
  assert.ok(marks.length >= ERROR_EVENTS.length && marks.every((m) => m === "error"), `marks: ${marks}`);
  // JSON events pretty-print on demand.
  const first = items(page, "event-list").first();
  await first.getByTestId("pretty-toggle").click();
  assert.match(await first.locator(".message").textContent(), /\n {2}"level": "error"/);
  // Copy one event.
  await first.getByTestId("copy-event").click();
  await page.getByTestId("announce").filter({ hasText: "copied" }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), ERROR_EVENTS[0]);
  // The download holds what is on screen, one JSON object per line.
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download").click()]);
  assert.match(download.suggestedFilename(), /\.ndjson$/);
  const lines = (await readFile(await download.path(), "utf8")).trimEnd().split("\n");
  assert.deepEqual(lines.map((l) => JSON.parse(l).message), ERROR_EVENTS);
  await shot(page, "search");
  // The permalink reproduces the search for whoever signs in with it.
  await page.getByTestId("copy-link").click();
  await page.getByTestId("announce").filter({ hasText: "Link copied" }).waitFor();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(link, page.url());
  assert.ok(link.includes("filter=") && !link.includes("token") && !link.includes(KEY_A));
  const other = await open(t);
  await other.page.goto(link);
  await other.page.getByTestId("token-input").fill(KEY_A);
  await other.page.getByTestId("sign-in").click();
  await other.page.waitForFunction((n) => document.querySelectorAll("[data-testid=event-list] li").length === n, ERROR_EVENTS.length);
  assert.equal(await other.page.getByTestId("search-input").inputValue(), pattern);
  assert.deepEqual(await messages(other.page), ERROR_EVENTS);
  assert.deepEqual(errors, []);
  assert.deepEqual(other.errors, []);
});

test("a live tail shows new events; paused, it counts them and shows them on resume", async (t) => {
  const { page, errors } = await open(t);
  await signIn(page, KEY_A);
  await page.goto(`${BASE}/portal/#group=${encodeURIComponent(GROUP_APP)}&stream=web-2`);
  // A log line holding markup is shown as text, never run.
  await items(page, "event-list").filter({ hasText: "markup in a log line" }).waitFor();
  assert.ok((await messages(page)).includes(MARKUP));
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.getByTestId("event-list").locator("img, script").count(), 0);
  await page.getByTestId("tail-toggle").click();
  await page.locator("[data-testid=tail-status][data-state=live]").waitFor();
  const live = `tail live ${Date.now()}`;
  await put("web-2", live);
  await items(page, "event-list").filter({ hasText: live }).waitFor();
  await page.getByTestId("tail-pause").click();
  const held = `tail held ${Date.now()}`;
  await put("web-2", held);
  await page.getByTestId("tail-pause").filter({ hasText: "Resume (1 new)" }).waitFor();
  assert.equal(await items(page, "event-list").filter({ hasText: held }).count(), 0);
  await shot(page, "tail-paused");
  await page.getByTestId("tail-pause").click();
  await items(page, "event-list").filter({ hasText: held }).waitFor();
  await page.getByTestId("tail-toggle").click();
  assert.equal(await page.getByTestId("tail-toggle").getAttribute("aria-pressed"), "false");
  assert.deepEqual(errors, []);
});

test("the time range picker narrows results, and an empty range says so", async (t) => {
  const { page, errors } = await open(t);
  await signIn(page, KEY_A);
  const pattern = encodeURIComponent('{ $.level = "error" }');
  await page.goto(`${BASE}/portal/#group=${encodeURIComponent(GROUP_JSON)}&filter=${pattern}`);
  await page.waitForFunction((n) => document.querySelectorAll("[data-testid=event-list] li").length === n, ERROR_EVENTS.length);
  await page.getByTestId("range-select").selectOption("1h");
  await page.waitForURL(/range=1h/);
  await page.getByTestId("events-status").filter({ hasText: `${ERROR_EVENTS.length} events` }).waitFor();
  await page.getByTestId("range-select").selectOption("between");
  await page.locator("#range-from").fill("2099-01-01T00:00");
  await page.locator("#range-to").fill("2099-01-02T00:00");
  await page.getByTestId("range-apply").click();
  await page.waitForURL(/start=\d+&end=\d+/);
  await page.getByTestId("events-status").filter({ hasText: "No events" }).waitFor();
  assert.equal(await items(page, "event-list").count(), 0);
  assert.match(await page.locator(".scope").first().textContent(), /2099-01-01 00:00/);
  assert.deepEqual(errors, []);
});

test("Logs Insights runs a query and shows a results table", async (t) => {
  const { page, errors } = await open(t);
  await signIn(page, KEY_A);
  await page.goto(`${BASE}/portal/#group=${encodeURIComponent(GROUP_JSON)}&tab=insights`);
  await page.getByTestId("query-run").click();
  await page.getByTestId("query-status").filter({ hasText: "Complete" }).waitFor();
  const headers = await page.getByTestId("query-results").locator("th").allTextContents();
  assert.ok(headers.includes("@message"), `columns: ${headers}`);
  assert.ok((await page.getByTestId("query-results").locator("tbody tr").count()) > 0);
  await shot(page, "insights");
  assert.deepEqual(errors, []);
});

test("another tenant's group typed into the fragment shows the 403 state and no data", async (t) => {
  const { page, errors } = await open(t);
  await signIn(page, KEY_A);
  await page.goto(`${BASE}/portal/#group=${encodeURIComponent(GROUP_B)}`);
  await page.locator("[data-testid=error-banner][data-status='403']").waitFor();
  assert.match(await page.getByTestId("error-banner").textContent(), /Not permitted/);
  await page.getByTestId("events-status").filter({ hasText: "could not be loaded" }).waitFor();
  assert.equal(await items(page, "stream-list").count(), 0);
  assert.equal(await items(page, "event-list").count(), 0);
  assert.ok(!(await page.content()).includes("globex secret"));
  await shot(page, "forbidden");
  // The collector sees the refusals it was meant to (so "no errors" elsewhere means something).
  assert.ok(errors.some((e) => e.includes("status of 403")), `console: ${errors}`);
  assert.deepEqual(unexpected(errors, 403), []);
});

test("a fragment hands over a JWT, which leaves the address bar; sign-out clears storage", async (t) => {
  const { page, errors } = await open(t);
  await page.goto(`${BASE}/portal/#token=${JWT_A}&group=${encodeURIComponent(GROUP_APP)}`);
  await items(page, "stream-list").filter({ hasText: "web-1" }).waitFor();
  assert.ok(!page.url().includes("token"), page.url());
  assert.ok(page.url().includes("group="));
  assert.match(await page.getByTestId("who").textContent(), /user alice · until/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("logward.token")), JWT_A);
  await page.getByTestId("sign-out").click();
  await page.getByTestId("token-input").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.reload();
  await page.getByTestId("token-input").waitFor();
  assert.equal(await page.getByTestId("group-list").count(), 0);
  assert.deepEqual(errors, []);
});

test("a refused credential shows the signed-out state", async (t) => {
  const { page, errors } = await open(t);
  await page.goto(`${BASE}/portal/`);
  await page.getByTestId("token-input").fill("lwk_aaaaaaaaaaaaaaaa_00000000");
  await page.getByTestId("sign-in").click();
  await page.locator("[data-testid=error-banner][data-status='401']").waitFor();
  assert.match(await page.getByTestId("error-banner").textContent(), /signed out/);
  assert.ok(await page.getByTestId("token-input").isVisible());
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.ok(errors.some((e) => e.includes("status of 401")), `console: ${errors}`);
  assert.deepEqual(unexpected(errors, 401), []);
});

test("rate limiting shows the wait, then retry works", async (t) => {
  const { page, errors } = await open(t);
  await page.goto(`${BASE}/portal/`);
  await page.getByTestId("token-input").fill(JWT_SLOW);
  await page.getByTestId("sign-in").click();
  const banner = page.locator("[data-testid=error-banner][data-status='429']");
  await banner.waitFor();
  assert.match(await banner.textContent(), /Rate limited/);
  assert.match(await banner.textContent(), /Retry in \d+ s|You may retry now/);
  await shot(page, "rate-limited");
  const retry = banner.getByRole("button", { name: "Retry" });
  await page.waitForFunction(() => {
    const b = [...document.querySelectorAll("[data-testid=error-banner] button")].find((x) => x.textContent === "Retry");
    return b && !b.disabled;
  });
  await retry.click();
  await items(page, "group-list").filter({ hasText: GROUP_SLOW }).waitFor();
  assert.ok(errors.some((e) => e.includes("status of 429")), `console: ${errors}`);
  assert.deepEqual(unexpected(errors, 429), []);
});

test("a CloudWatch failure shows the upstream error state, with a retry", async (t) => {
  const { page, errors } = await open(t);
  await page.goto(`${BROKEN}/portal/`);
  await page.getByTestId("token-input").fill(JWT_A);
  await page.getByTestId("sign-in").click();
  const banner = page.locator("[data-testid=error-banner][data-status='502']");
  await banner.waitFor();
  assert.match(await banner.textContent(), /CloudWatch Logs or logward failed/);
  assert.match(await banner.textContent(), /upstream_error/);
  assert.ok(!(await banner.textContent()).includes("exploded"), "the upstream's own text stays out");
  await banner.getByRole("button", { name: "Retry" }).click();
  await page.locator("[data-testid=error-banner][data-status='502']").waitFor();
  await shot(page, "upstream-error");
  assert.ok(errors.some((e) => e.includes("status of 502")), `console: ${errors}`);
  assert.deepEqual(unexpected(errors, 502), []);
});

test("keyboard and narrow screens: labelled controls, no sideways scrolling", async (t) => {
  const { page, errors } = await open(t, { width: 390, height: 844 });
  await page.goto(`${BASE}/portal/`);
  await page.getByTestId("token-input").focus();
  await page.keyboard.type(KEY_A);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "sign-in");
  await page.keyboard.press("Enter");
  await page.getByTestId("group-list").locator("li").first().waitFor();
  // Focus starts in the group filter; the first group is one Tab away.
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await items(page, "stream-list").first().waitFor();
  await page.keyboard.press("/");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-testid")), "search-input");
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => !el.closest("[hidden]"))
      .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.textContent?.trim()))
      .map((el) => el.outerHTML),
  );
  assert.deepEqual(unlabelled, []);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  await shot(page, "narrow");
  assert.deepEqual(errors, []);
});
