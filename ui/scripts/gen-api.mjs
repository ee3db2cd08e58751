// Generates src/api/schema.gen.ts from src/api/openapi.json (which a Rust test writes from the
// server's handlers: UPDATE_UI_FIXTURES=1 cargo test -p weft-server --test it ui_contract).
//
//   node scripts/gen-api.mjs           write src/api/schema.gen.ts
//   node scripts/gen-api.mjs --check   fail when the committed file is stale
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

const here = dirname(fileURLToPath(import.meta.url));
const input = join(here, "../src/api/openapi.json");
const output = join(here, "../src/api/schema.gen.ts");

const doc = JSON.parse(readFileSync(input, "utf8"));
const ast = await openapiTS(doc, { alphabetize: false });
const text =
  "// Generated from src/api/openapi.json by scripts/gen-api.mjs (`npm run gen:api`); do not edit.\n" +
  astToString(ast);

if (process.argv.includes("--check")) {
  let committed = "";
  try {
    committed = readFileSync(output, "utf8");
  } catch {
    // missing: stale
  }
  if (committed !== text) {
    console.error(
      "src/api/schema.gen.ts is stale: it does not match src/api/openapi.json.\n" +
        "Regenerate it with `cd ui && npm run gen:api` and commit it (after\n" +
        "`UPDATE_UI_FIXTURES=1 cargo test -p weft-server --test it ui_contract` if the server changed).",
    );
    process.exit(1);
  }
  console.log("src/api/schema.gen.ts is current");
} else {
  writeFileSync(output, text);
  console.log(`wrote ${output}`);
}
