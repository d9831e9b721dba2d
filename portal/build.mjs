// Builds the viewer into ../src/routes/portal/assets/ (committed, so that
// `cargo build` needs no Node). Deterministic: the same sources and lockfile
// give the same bytes, which scripts/check-portal relies on.
//
//   node build.mjs                 # write the bundle
//   node build.mjs --out DIR       # write it elsewhere (the CI check)
//   node build.mjs --unit-tests    # bundle test/unit/*.test.ts into .unit-build/

import { copyFile, mkdir, readdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);

if (args.includes("--unit-tests")) {
  const dir = join(here, "test", "unit");
  const out = join(here, ".unit-build");
  await rm(out, { recursive: true, force: true });
  const entries = (await readdir(dir)).filter((f) => f.endsWith(".test.ts")).map((f) => join(dir, f));
  await esbuild.build({
    entryPoints: entries,
    outdir: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
} else {
  const at = args.indexOf("--out");
  const out = at >= 0 ? args[at + 1] : join(here, "..", "src", "routes", "portal", "assets");
  await mkdir(out, { recursive: true });
  const common = { bundle: true, minify: true, legalComments: "none", logLevel: "warning", charset: "utf8" };
  await esbuild.build({
    ...common,
    entryPoints: [join(here, "src", "main.ts")],
    outfile: join(out, "app.js"),
    format: "esm",
    target: ["chrome110", "firefox115", "safari16"],
  });
  await esbuild.build({ ...common, entryPoints: [join(here, "src", "app.css")], outfile: join(out, "app.css") });
  await copyFile(join(here, "src", "index.html"), join(out, "index.html"));
}
