// Compiled EJS templates. Loaded once at import (the render functions that use them
// stay pure: same data in, same text out). Templates only use `<%-` (raw output):
// every value is escaped by the caller for its format, never HTML-escaped by EJS.
import * as ejs from "ejs";
import { readFileSync } from "node:fs";
import { join } from "node:path";

type Template = (data: Record<string, unknown>) => string;

const cache = new Map<string, Template>();

export function template(name: string): Template {
  let t = cache.get(name);
  if (!t) {
    const text = readFileSync(join(__dirname, name), "utf8");
    const compiled = ejs.compile(text, {
      filename: name,
      strict: false,
      escape: () => {
        throw new Error(`${name}: use <%- with an explicit escaper`);
      },
    });
    t = (data) => compiled(data);
    cache.set(name, t);
  }
  return t;
}
