// The Server-Sent Events parser, fed in arbitrary pieces as a network would.

import assert from "node:assert/strict";
import { test } from "node:test";
import { SseMessage, SseParser } from "../../src/tail";

function parse(chunks: string[]) {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const p = new SseParser((m) => messages.push(m), (c) => comments.push(c), (r) => retries.push(r));
  chunks.forEach((c) => p.feed(c));
  return { messages, comments, retries };
}

test("messages, ids, end events and comments, split anywhere", () => {
  const stream = 'retry: 2000\n: connected\n\nid: 1-a\ndata: {"message":"x"}\n\n: keepalive\n\nevent: end\ndata: {"reason":"revoked"}\n\n';
  for (const size of [1, 2, 7, stream.length]) {
    const chunks: string[] = [];
    for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
    const { messages, comments, retries } = parse(chunks);
    assert.deepEqual(retries, [2000]);
    assert.deepEqual(comments, ["connected", "keepalive"]);
    assert.deepEqual(messages, [
      { id: "1-a", event: "message", data: '{"message":"x"}' },
      { id: "1-a", event: "end", data: '{"reason":"revoked"}' },
    ]);
  }
});

test("CRLF line ends and multi-line data", () => {
  const { messages } = parse(["data: a\r", "\ndata: b\r\n\r\n"]);
  assert.deepEqual(messages, [{ id: null, event: "message", data: "a\nb" }]);
});
