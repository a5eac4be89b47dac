// Loads the `plist` package. plist 5 is an ES module whose package.json "exports" has no
// `require` condition, so require("plist") fails in this CommonJS build. Node >= 20.19
// can require() an ES module by file path, so the entry file is located through the
// ordinary node_modules lookup. (plist 3.x, which is CommonJS, loads on the first try.)
import { existsSync } from "node:fs";
import { join } from "node:path";
import type * as Plist from "plist";

function load(): typeof Plist {
  try {
    return require("plist") as typeof Plist;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw err;
  }
  for (const dir of require.resolve.paths("plist") ?? []) {
    const entry = join(dir, "plist", "dist", "index.js");
    if (existsSync(entry)) return require(entry) as typeof Plist;
  }
  throw new Error("cannot load the plist package");
}

export const plist: typeof Plist = load();
export type PlistValue = Plist.PlistValue;
