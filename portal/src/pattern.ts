// CloudWatch filter patterns, read in the browser: to highlight what matched,
// and to check the events the gateway returned against the pattern. The
// gateway passes the pattern to CloudWatch unchanged and its answer stands;
// this check only flags events that provably do not match (an emulator that
// ignores patterns, say), and the viewer shows how many it set aside.
//
// Understood: terms, "phrases", ?any-of, -none-of, and JSON selectors
// `{ $.a.b[0] = "x*" && ($.n > 5 || $.f IS TRUE) }`. Space-delimited `[...]`
// and regular expressions `%...%` are left to the server ("opaque").

export interface Term {
  text: string;
}

export type Value = { kind: "string"; text: string } | { kind: "number"; value: number; text: string };

export type Expr =
  | { kind: "and" | "or"; left: Expr; right: Expr }
  | { kind: "compare"; path: (string | number)[]; op: "=" | "!=" | "<" | "<=" | ">" | ">="; value: Value }
  | { kind: "is"; path: (string | number)[]; what: "NULL" | "TRUE" | "FALSE" | "EXISTS" | "NOT EXISTS" };

export type Pattern =
  | { kind: "all" }
  | { kind: "terms"; all: Term[]; any: Term[]; none: Term[] }
  | { kind: "json"; expr: Expr }
  | { kind: "opaque"; regex: RegExp | null };

export function parsePattern(source: string): Pattern {
  const s = source.trim();
  if (s === "") return { kind: "all" };
  if (s.startsWith("{")) {
    try {
      return { kind: "json", expr: new JsonParser(s).parse() };
    } catch {
      return { kind: "opaque", regex: null };
    }
  }
  if (s.startsWith("[")) return { kind: "opaque", regex: null };
  if (s.length > 1 && s.startsWith("%") && s.endsWith("%")) {
    let regex: RegExp | null = null;
    try {
      regex = new RegExp(s.slice(1, -1), "g");
    } catch {
      regex = null;
    }
    return { kind: "opaque", regex };
  }
  return parseTerms(s);
}

function parseTerms(s: string): Pattern {
  const all: Term[] = [];
  const any: Term[] = [];
  const none: Term[] = [];
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i])) {
      i += 1;
      continue;
    }
    let list = all;
    if ((s[i] === "?" || s[i] === "-") && i + 1 < s.length && !/\s/.test(s[i + 1])) {
      list = s[i] === "?" ? any : none;
      i += 1;
    }
    let text = "";
    if (s[i] === '"') {
      i += 1;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < s.length) i += 1;
        text += s[i];
        i += 1;
      }
      i += 1;
    } else {
      while (i < s.length && !/\s/.test(s[i])) {
        text += s[i];
        i += 1;
      }
    }
    if (text) list.push({ text });
  }
  return { kind: "terms", all, any, none };
}

/** true / false, or null when only the server can tell. */
export function matches(pattern: Pattern, message: string): boolean | null {
  switch (pattern.kind) {
    case "all":
      return true;
    case "opaque":
      return null;
    case "terms":
      return (
        pattern.all.every((t) => message.includes(t.text)) &&
        (pattern.any.length === 0 || pattern.any.some((t) => message.includes(t.text))) &&
        !pattern.none.some((t) => message.includes(t.text))
      );
    case "json": {
      let doc: unknown;
      try {
        doc = JSON.parse(message);
      } catch {
        return false;
      }
      if (doc === null || typeof doc !== "object") return false;
      return evaluate(pattern.expr, doc);
    }
  }
}

function lookup(doc: unknown, path: (string | number)[]): unknown {
  let at: unknown = doc;
  for (const step of path) {
    if (at === null || typeof at !== "object") return undefined;
    if (typeof step === "number") {
      if (!Array.isArray(at)) return undefined;
      at = at[step];
    } else {
      if (Array.isArray(at) || !Object.prototype.hasOwnProperty.call(at, step)) return undefined;
      at = (at as Record<string, unknown>)[step];
    }
  }
  return at;
}

function wildcard(text: string): RegExp {
  const body = text
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "s");
}

function evaluate(e: Expr, doc: unknown): boolean {
  switch (e.kind) {
    case "and":
      return evaluate(e.left, doc) && evaluate(e.right, doc);
    case "or":
      return evaluate(e.left, doc) || evaluate(e.right, doc);
    case "is": {
      const v = lookup(doc, e.path);
      if (e.what === "NULL") return v === null;
      if (e.what === "TRUE") return v === true;
      if (e.what === "FALSE") return v === false;
      if (e.what === "EXISTS") return v !== undefined;
      return v === undefined;
    }
    case "compare": {
      const v = lookup(doc, e.path);
      if (e.value.kind === "number") {
        if (typeof v !== "number") return false;
        const n = e.value.value;
        switch (e.op) {
          case "=":
            return v === n;
          case "!=":
            return v !== n;
          case "<":
            return v < n;
          case "<=":
            return v <= n;
          case ">":
            return v > n;
          case ">=":
            return v >= n;
        }
      }
      if (typeof v !== "string") return false;
      const hit = wildcard(e.value.text).test(v);
      return e.op === "=" ? hit : e.op === "!=" ? !hit : false;
    }
  }
}

/** [start, end) ranges of `text` to highlight, sorted and merged. */
export function highlights(pattern: Pattern, text: string): [number, number][] {
  const ranges: [number, number][] = [];
  const find = (needle: string) => {
    if (!needle) return;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
      ranges.push([at, at + needle.length]);
    }
  };
  if (pattern.kind === "terms") {
    [...pattern.all, ...pattern.any].forEach((t) => find(t.text));
  } else if (pattern.kind === "json") {
    for (const v of literals(pattern.expr)) v.split("*").forEach(find);
  } else if (pattern.kind === "opaque" && pattern.regex) {
    const re = new RegExp(pattern.regex.source, "g");
    for (let m = re.exec(text); m; m = re.exec(text)) {
      if (m[0] === "") {
        re.lastIndex += 1;
        continue;
      }
      ranges.push([m.index, m.index + m[0].length]);
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function literals(e: Expr): string[] {
  if (e.kind === "and" || e.kind === "or") return [...literals(e.left), ...literals(e.right)];
  if (e.kind === "compare" && (e.op === "=" || e.value.kind === "number")) return [e.value.text];
  return [];
}

type Token = { t: "punct"; v: string } | { t: "path"; v: (string | number)[] } | { t: "string"; v: string } | { t: "word"; v: string };

class JsonParser {
  private tokens: Token[];
  private at = 0;

  constructor(source: string) {
    this.tokens = tokenize(source);
  }

  parse(): Expr {
    this.expect("{");
    const e = this.or();
    this.expect("}");
    if (this.at !== this.tokens.length) throw new Error("trailing input");
    return e;
  }

  private peek(): Token | undefined {
    return this.tokens[this.at];
  }

  private isPunct(v: string): boolean {
    const t = this.peek();
    return t !== undefined && t.t === "punct" && t.v === v;
  }

  private expect(v: string): void {
    if (!this.isPunct(v)) throw new Error(`expected ${v}`);
    this.at += 1;
  }

  private or(): Expr {
    let left = this.and();
    while (this.isPunct("||")) {
      this.at += 1;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): Expr {
    let left = this.unary();
    while (this.isPunct("&&")) {
      this.at += 1;
      left = { kind: "and", left, right: this.unary() };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isPunct("(")) {
      this.at += 1;
      const e = this.or();
      this.expect(")");
      return e;
    }
    const path = this.tokens[this.at++];
    if (!path || path.t !== "path") throw new Error("expected a $ selector");
    const next = this.tokens[this.at++];
    if (next?.t === "word") {
      const word = next.v.toUpperCase();
      if (word === "IS") {
        const what = this.word();
        if (what === "NULL" || what === "TRUE" || what === "FALSE") return { kind: "is", path: path.v, what };
        throw new Error("expected NULL, TRUE or FALSE");
      }
      if (word === "NOT" && this.word() === "EXISTS") return { kind: "is", path: path.v, what: "NOT EXISTS" };
      if (word === "EXISTS") return { kind: "is", path: path.v, what: "EXISTS" };
      throw new Error(`unexpected ${next.v}`);
    }
    if (next?.t !== "punct" || !["=", "!=", "<", "<=", ">", ">="].includes(next.v)) throw new Error("expected an operator");
    const raw = this.tokens[this.at++];
    if (!raw || (raw.t !== "string" && raw.t !== "word")) throw new Error("expected a value");
    const number = Number(raw.v);
    const value: Value =
      raw.t === "word" && raw.v !== "" && Number.isFinite(number)
        ? { kind: "number", value: number, text: raw.v }
        : { kind: "string", text: raw.v };
    return { kind: "compare", path: path.v, op: next.v as "=", value };
  }

  private word(): string {
    const t = this.tokens[this.at++];
    if (t?.t !== "word") throw new Error("expected a keyword");
    return t.v.toUpperCase();
  }
}

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === "{" || c === "}" || c === "(" || c === ")") {
      out.push({ t: "punct", v: c });
      i += 1;
    } else if (s.startsWith("&&", i) || s.startsWith("||", i) || s.startsWith("!=", i) || s.startsWith("<=", i) || s.startsWith(">=", i)) {
      out.push({ t: "punct", v: s.slice(i, i + 2) });
      i += 2;
    } else if (c === "=" || c === "<" || c === ">") {
      out.push({ t: "punct", v: c });
      i += 1;
    } else if (c === '"') {
      let v = "";
      i += 1;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === "\\" && i + 1 < s.length) i += 1;
        v += s[i];
        i += 1;
      }
      if (i >= s.length) throw new Error("unterminated string");
      i += 1;
      out.push({ t: "string", v });
    } else if (c === "$") {
      const m = /^\$((?:\.[A-Za-z0-9_@\-:]+|\[\d+\])*)/.exec(s.slice(i));
      if (!m) throw new Error("bad selector");
      const path: (string | number)[] = [];
      for (const step of m[1].matchAll(/\.([A-Za-z0-9_@\-:]+)|\[(\d+)\]/g)) {
        path.push(step[1] !== undefined ? step[1] : Number(step[2]));
      }
      out.push({ t: "path", v: path });
      i += m[0].length;
    } else {
      const m = /^[^\s(){}=!<>&|"]+/.exec(s.slice(i));
      if (!m) throw new Error(`unexpected ${c}`);
      out.push({ t: "word", v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}
