// Permalinks: the fragment round-trips the view and never holds a credential.

import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_QUERY, emptyView, formatView, parseView } from "../../src/view";

test("a view survives the fragment", () => {
  const view = {
    ...emptyView(),
    group: "/acme/app",
    stream: "web 1/a",
    filter: '{ $.level = "error" }',
    range: { kind: "last" as const, key: "1h" as const },
  };
  assert.deepEqual(parseView(formatView(view)), view);
  const between = { ...emptyView(), group: "g", range: { kind: "between" as const, start: 1000, end: 2000 }, tab: "insights" as const, query: "fields @message" };
  assert.deepEqual(parseView(formatView(between)), between);
  assert.equal(formatView(emptyView()), "");
});

test("odd fragments fall back to defaults", () => {
  const v = parseView("#stream=s&range=3y&start=9&end=1&tab=x&token=secret");
  assert.equal(v.group, null);
  assert.equal(v.stream, null);
  assert.deepEqual(v.range, { kind: "any" });
  assert.equal(v.tab, "events");
  assert.equal(v.query, DEFAULT_QUERY);
  assert.ok(!formatView(v).includes("secret"));
});
