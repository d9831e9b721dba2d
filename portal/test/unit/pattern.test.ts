// The filter-pattern reader: what it matches, what it leaves to the server,
// and what it highlights.

import assert from "node:assert/strict";
import { test } from "node:test";
import { highlights, matches, parsePattern } from "../../src/pattern";

const m = (pattern: string, message: string) => matches(parsePattern(pattern), message);

test("terms must all appear, ?terms any of them, -terms none", () => {
  assert.equal(m("ERROR timeout", "ERROR: upstream timeout"), true);
  assert.equal(m("ERROR timeout", "ERROR: refused"), false);
  assert.equal(m("?ERROR ?WARN", "WARN disk"), true);
  assert.equal(m("?ERROR ?WARN", "INFO ok"), false);
  assert.equal(m("ERROR -health", "ERROR in /health"), false);
  assert.equal(m("ERROR -health", "ERROR in /api"), true);
  assert.equal(m('"connection reset"', "peer: connection reset by peer"), true);
  assert.equal(m('"connection reset"', "reset connection"), false);
  assert.equal(m('-"GET /health"', "GET /health 200"), false);
  // Case-sensitive, like CloudWatch.
  assert.equal(m("error", "ERROR"), false);
  assert.equal(m("", "anything"), true);
});

test("JSON selectors compare strings with wildcards and numbers", () => {
  const line = JSON.stringify({ level: "error", latency: 120, user: { id: "u-7", tags: ["a", "b"] }, ok: false, gone: null });
  assert.equal(m('{ $.level = "error" }', line), true);
  assert.equal(m('{ $.level = "info" }', line), false);
  assert.equal(m('{ $.level != "info" }', line), true);
  assert.equal(m('{ $.user.id = "u-*" }', line), true);
  assert.equal(m("{ $.user.tags[1] = b }", line), true);
  assert.equal(m("{ $.latency > 100 && $.latency <= 120 }", line), true);
  assert.equal(m("{ $.latency = 121 || $.level = error }", line), true);
  assert.equal(m('{ ($.latency < 10 || $.level = "info") && $.ok IS FALSE }', line), false);
  assert.equal(m("{ $.gone IS NULL }", line), true);
  assert.equal(m("{ $.missing NOT EXISTS }", line), true);
  assert.equal(m("{ $.latency = 120 }", line), true);
  // A number is not the string "120", and a missing field matches nothing.
  assert.equal(m('{ $.latency = "120" }', line), false);
  assert.equal(m('{ $.nope = "x" }', line), false);
  // A message that is not JSON cannot match a JSON pattern.
  assert.equal(m('{ $.level = "error" }', "level=error"), false);
});

test("what the viewer cannot read is left to the server", () => {
  assert.equal(m("[ip, user, status = 500]", "1.2.3.4 bob 500"), null);
  assert.equal(m("%ERR(OR)?%", "ERR"), null);
  assert.equal(m("{ $.level = }", '{"level":"x"}'), null);
  assert.equal(m('{ $.level = "x" ', '{"level":"x"}'), null);
});

test("highlights mark the terms and JSON values, merged and in order", () => {
  const text = "ERROR timeout after ERROR";
  assert.deepEqual(highlights(parsePattern("ERROR -x ?timeout"), text), [
    [0, 5],
    [6, 13],
    [20, 25],
  ]);
  assert.deepEqual(highlights(parsePattern('{ $.level = "err*" }'), '{"level":"error"}'), [[10, 13]]);
  assert.deepEqual(highlights(parsePattern("%ti.e%"), text), [[6, 10]]);
  assert.deepEqual(highlights(parsePattern("abc ab"), "xabcx"), [[1, 4]]);
});
