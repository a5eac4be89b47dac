// A root filesystem built once and kept: the recipe fills a scratch directory, which
// is packed as <cacheDir>/<id>.tar.zst (renamed into place, so a half-built image
// never has that name) and unpacked next to it as <cacheDir>/<id>/ (<id>.unpacked
// marks a complete unpack): the overlayfs lower directory of every machine, never
// written. The id carries a hash of the recipe, so a changed recipe builds anew, and
// after a build the entries of earlier recipes (names that start with `stalePrefix`
// but not with the id) are removed.
// Used by the hosts tier (test/hosts/lib/rootfs.ts: Debian 12 by debootstrap) and the
// engine tier's world (test/engine/world/rootfs.ts: that image plus cloud-init).
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runOk } from "./exec";

export interface CachedTree {
  /** Unpacked tree: the overlayfs lower directory of every machine. Never written. */
  dir: string;
  tarball: string;
  /** What happened: "cached" or "built in N s". */
  origin: string;
}

export interface TreeRecipe {
  cacheDir: string;
  /** The cache entry's name: a prefix and a hash of the recipe. */
  id: string;
  /** Logged before a build (it takes minutes). */
  building: string;
  /** Fills `buildDir`, which does not exist yet (debootstrap creates it; others mkdir it). */
  build(buildDir: string): Promise<void>;
  /** After a build, entries starting with this (and not with `id`) are removed. */
  stalePrefix: string;
}

/** Unpacks a tarball made by cachedTree into `dir` (owners, modes and xattrs kept). */
export async function untar(tarball: string, dir: string): Promise<void> {
  await runOk(["tar", "--zstd", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", dir, "-xpf", tarball], { timeoutMs: 300_000 });
}

/** Returns the unpacked tree, building, packing and caching it when absent. */
export async function cachedTree(recipe: TreeRecipe, log: (msg: string) => void): Promise<CachedTree> {
  const { cacheDir, id } = recipe;
  const tarball = join(cacheDir, `${id}.tar.zst`);
  const dir = join(cacheDir, id);
  const done = join(cacheDir, `${id}.unpacked`);
  mkdirSync(cacheDir, { recursive: true });
  let origin = "cached";
  if (!existsSync(tarball)) {
    const started = Date.now();
    log(recipe.building);
    const build = join(cacheDir, `${id}.build`);
    rmSync(build, { recursive: true, force: true });
    try {
      await recipe.build(build);
      const tmp = `${tarball}.tmp`;
      await runOk(["tar", "--zstd", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", build, "-cpf", tmp, "."], { timeoutMs: 300_000 });
      renameSync(tmp, tarball);
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
    origin = `built in ${((Date.now() - started) / 1000).toFixed(1)} s`;
    // Earlier recipes' images are dead weight now.
    for (const f of readdirSync(cacheDir)) {
      if (f.startsWith(recipe.stalePrefix) && !f.startsWith(id)) rmSync(join(cacheDir, f), { recursive: true, force: true });
    }
  }
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    await untar(tarball, dir);
    writeFileSync(done, `${new Date().toISOString()}\n`);
  }
  log(`rootfs: ${id} (${origin})`);
  return { dir, tarball, origin };
}
