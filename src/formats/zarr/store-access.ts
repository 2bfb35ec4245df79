import { closeSync, constants as fsConstants, openSync } from "node:fs";
import { opendir, open as openFile, realpath, type FileHandle } from "node:fs/promises";
import path from "node:path";
import ZipFileStore from "@zarrita/storage/zip";
import type { AbsolutePath, AsyncReadable, RangeQuery } from "@zarrita/storage";
import { ChunkwiseError, fromSystemError } from "../../errors.js";
import { ChunkFile } from "../chunk-file.js";
import { FileSizeSum } from "./file-sizes.js";

/** What a directory of a store holds: file names (with their stored size when it is free to know) and subdirectory names. */
export interface DirectoryListing {
  readonly files: readonly string[];
  readonly dirs: readonly string[];
}

/**
 * A Zarr store seen as a tree of directories and files, keyed by "/"-separated paths relative to
 * the store root ("" is the root, "group/array/.zarray" a file). One implementation walks a
 * directory on disk, one the central directory of a zip. Reads of values go through `store`,
 * zarrita's own view of the same data.
 */
export interface StoreAccess {
  /** What the user gave: the directory or the zip file. */
  readonly location: string;
  /** The zarrita store rooted at the same place as the keys. */
  readonly store: AsyncReadable;
  /** False when directories cannot be listed (a store over HTTP): listDir/listNames/sizeTally must not be called. */
  readonly listable: boolean;
  /** How to name a key in a message: a file path, or "file.zip:entry". */
  describeKey(key: string): string;
  /** The bytes of a file, or undefined when it does not exist. */
  readFile(key: string): Promise<Uint8Array | undefined>;
  /**
   * A local file opened for positional reads (read parts of a chunk), undefined when it does not
   * exist. Absent for stores whose files cannot be opened (zip entries, HTTP).
   */
  openFile?(key: string): Promise<ChunkFile | undefined>;
  /** Files and subdirectories of a directory; empty when it does not exist. */
  listDir(key: string): Promise<DirectoryListing>;
  /** Every name in a directory, files and subdirectories alike (symbolic links left out); empty when it is not a directory. */
  listNames(key: string): Promise<string[]>;
  /** A running sum of stored file sizes (never opening the files). */
  sizeTally(): SizeTally;
  close(): Promise<void>;
}

export interface SizeTally {
  /** Count the file `name` in directory `dirKey` if it exists and is a file. */
  add(dirKey: string, name: string): void;
  finish(): Promise<{ files: number; bytes: number }>;
}

export function joinKey(...parts: readonly string[]): string {
  return parts.filter((part) => part !== "").join("/");
}

/**
 * A store key is safe when it stays inside the store: "/"-separated names, none of them empty,
 * "." or "..", and no NUL. Keys from consolidated metadata are checked with this before any
 * file is touched.
 */
export function isSafeKey(key: string): boolean {
  if (key === "") return true;
  return key.split("/").every((part) => part !== "" && part !== "." && part !== ".." && !part.includes("\0"));
}

/** Open flags that refuse a symbolic link as the last path component (ELOOP). */
const NO_FOLLOW = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW;

/** Directory real paths remembered per store; past this many the cache starts afresh. */
const DIRECTORY_CACHE_LIMIT = 65_536;

/**
 * zarrita's view of a store directory that never reads outside it. A file is opened through the
 * real path of its directory (resolved once per directory and checked to lie under the store's
 * real path) with O_NOFOLLOW; only when the file itself is a symbolic link is its target
 * resolved, and read when it lies inside the store. Anything leading outside is refused with a
 * PermissionError naming the path in the store, before the outside file is opened.
 */
class ConfinedDirectoryStore implements AsyncReadable {
  readonly #root: string;
  readonly #location: string;
  #realRoot: Promise<string> | undefined;
  readonly #realDirs = new Map<string, Promise<string | undefined>>();

  constructor(root: string, location: string) {
    this.#root = root;
    this.#location = location;
  }

  #shown(relative: string): string {
    return relative === "" ? this.#location : path.join(this.#location, ...relative.split("/"));
  }

  #isInside(real: string, realRoot: string): boolean {
    return real === realRoot || real.startsWith(realRoot.endsWith(path.sep) ? realRoot : realRoot + path.sep);
  }

  /** The real path of a directory of the store, checked; undefined when it does not exist. */
  #realDirectory(relativeDir: string): Promise<string | undefined> {
    let found = this.#realDirs.get(relativeDir);
    if (!found) {
      if (this.#realDirs.size >= DIRECTORY_CACHE_LIMIT) this.#realDirs.clear();
      found = this.#resolveInside(relativeDir);
      found.catch(() => this.#realDirs.delete(relativeDir));
      this.#realDirs.set(relativeDir, found);
    }
    return found;
  }

  /** realpath of a store path, refused when it leads outside the store; undefined when missing. */
  async #resolveInside(relative: string): Promise<string | undefined> {
    this.#realRoot ??= realpath(this.#root);
    let real: string;
    let realRoot: string;
    try {
      realRoot = await this.#realRoot;
      real = relative === "" ? realRoot : await realpath(path.join(this.#root, ...relative.split("/")));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw fromSystemError(err, this.#shown(relative));
    }
    if (!this.#isInside(real, realRoot)) {
      throw new ChunkwiseError("PermissionError", "is a symbolic link that leads outside the store; chunkwise does not follow it", { path: this.#shown(relative) });
    }
    return real;
  }

  /**
   * Open the file behind `key` without following links out of the store; undefined when it does
   * not exist. Opening and reading are synchronous: a chunk read from the page cache takes
   * microseconds, a round trip through libuv's four I/O threads (shared by every worker thread)
   * took longer than the read itself.
   */
  async openFile(key: AbsolutePath): Promise<ChunkFile | undefined> {
    const fd = await this.#open(key);
    return fd === undefined ? undefined : new ChunkFile(fd);
  }

  async #open(key: AbsolutePath): Promise<number | undefined> {
    const relative = key.slice(1);
    if (relative === "") return undefined;
    if (!isSafeKey(relative)) throw new ChunkwiseError("MetadataError", `key "${relative}" leaves the store`, { path: this.#shown(relative) });
    const slash = relative.lastIndexOf("/");
    const dir = await this.#realDirectory(slash < 0 ? "" : relative.slice(0, slash));
    if (dir === undefined) return undefined;
    try {
      return openSync(path.join(dir, relative.slice(slash + 1)), NO_FOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      if (code !== "ELOOP") throw err;
    }
    // The file is a symbolic link: follow it only when it stays inside the store.
    const target = await this.#resolveInside(relative);
    return target === undefined ? undefined : openSync(target, "r");
  }

  async get(key: AbsolutePath): Promise<Uint8Array | undefined> {
    const file = await this.openFile(key);
    if (file === undefined) return undefined;
    try {
      return file.readAll();
    } finally {
      file.close();
    }
  }

  async getRange(key: AbsolutePath, range: RangeQuery): Promise<Uint8Array | undefined> {
    const file = await this.openFile(key);
    if (file === undefined) return undefined;
    try {
      if ("suffixLength" in range) {
        const length = Math.min(range.suffixLength, file.size);
        return file.readAt(file.size - length, length);
      }
      return file.readAt(range.offset, Math.max(0, Math.min(range.length, file.size - range.offset)));
    } finally {
      file.close();
    }
  }
}

/**
 * A store in a directory. Symbolic links inside it are never followed when listing (a
 * symlinked directory is not walked, a symlinked file is not counted) and files are read only
 * when they really lie inside the store (ConfinedDirectoryStore).
 */
export class DirectoryStoreAccess implements StoreAccess {
  readonly location: string;
  readonly store: AsyncReadable;
  readonly listable = true;
  readonly #root: string;

  constructor(location: string) {
    this.location = location;
    this.#root = path.resolve(location);
    this.store = new ConfinedDirectoryStore(this.#root, location);
  }

  describeKey(key: string): string {
    return key === "" ? this.location : path.join(this.location, ...key.split("/"));
  }

  async openFile(key: string): Promise<ChunkFile | undefined> {
    try {
      return await (this.store as ConfinedDirectoryStore).openFile(`/${key}`);
    } catch (err) {
      throw fromSystemError(err, this.describeKey(key));
    }
  }

  #fsPath(key: string): string {
    return key === "" ? this.#root : path.join(this.#root, ...key.split("/"));
  }

  async readFile(key: string): Promise<Uint8Array | undefined> {
    try {
      const bytes = await this.store.get(`/${key}`);
      return bytes;
    } catch (err) {
      throw fromSystemError(err, this.describeKey(key));
    }
  }

  async listDir(key: string): Promise<DirectoryListing> {
    const files: string[] = [];
    const dirs: string[] = [];
    let dir;
    try {
      dir = await opendir(this.#fsPath(key), { bufferSize: 1024 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return { files, dirs };
      throw fromSystemError(err, this.describeKey(key));
    }
    try {
      for await (const entry of dir) {
        // Symbolic links are left out: following one could lead outside the store.
        if (entry.isFile()) files.push(entry.name);
        else if (entry.isDirectory()) dirs.push(entry.name);
      }
    } catch (err) {
      throw fromSystemError(err, this.describeKey(key));
    }
    return { files, dirs };
  }

  async listNames(key: string): Promise<string[]> {
    // opendir with a large buffer costs a quarter of readdir's CPU time on a million entries.
    const names: string[] = [];
    try {
      const dir = await opendir(this.#fsPath(key), { bufferSize: 4096 });
      for await (const entry of dir) if (!entry.isSymbolicLink()) names.push(entry.name);
      return names;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return [];
      throw fromSystemError(err, this.describeKey(key));
    }
  }

  sizeTally(): SizeTally {
    const sum = new FileSizeSum();
    return {
      add: (dirKey, name) => sum.add(this.#fsPath(dirKey), name),
      finish: () => sum.finish(),
    };
  }

  async close(): Promise<void> {}
}

/** unzipit's reader interface, over a file handle: reads only the byte ranges asked for. */
class FileRangeReader {
  readonly #handle: FileHandle;
  readonly #length: number;

  constructor(handle: FileHandle, length: number) {
    this.#handle = handle;
    this.#length = length;
  }

  async getLength(): Promise<number> {
    return this.#length;
  }

  async read(offset: number, length: number): Promise<Uint8Array<ArrayBuffer>> {
    const buffer = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${offset + done}`);
      done += bytesRead;
    }
    return buffer;
  }
}

type ZipEntries = Parameters<NonNullable<NonNullable<ConstructorParameters<typeof ZipFileStore>[1]>["transformEntries"]>>[0];

const METADATA_FILES = new Set(["zarr.json", ".zgroup", ".zarray"]);

/**
 * A zipped store. Works whether the zip was made from within the store (entries "zarr.json", …)
 * or from its parent folder (entries "data.zarr/zarr.json", …): the shallowest directory holding
 * Zarr metadata is the root. Stored sizes are the central directory's compressed sizes.
 */
export class ZipStoreAccess implements StoreAccess {
  readonly location: string;
  readonly store: AsyncReadable;
  readonly listable = true;
  readonly #handle: FileHandle;
  readonly #prefix: string;
  readonly #files: Map<string, number>;
  readonly #dirs: Map<string, { files: string[]; dirs: Set<string> }>;

  private constructor(location: string, handle: FileHandle, store: AsyncReadable, prefix: string, files: Map<string, number>) {
    this.location = location;
    this.#handle = handle;
    this.store = store;
    this.#prefix = prefix;
    this.#files = files;
    this.#dirs = buildDirectoryIndex(files);
  }

  static async open(location: string): Promise<ZipStoreAccess> {
    let handle: FileHandle;
    try {
      handle = await openFile(path.resolve(location), "r");
    } catch (err) {
      throw fromSystemError(err, location);
    }
    try {
      const { size } = await handle.stat();
      let prefix = "";
      const files = new Map<string, number>();
      let problem: ChunkwiseError | undefined;
      const store = new ZipFileStore(new FileRangeReader(handle, size), {
        transformEntries: (entries: ZipEntries): ZipEntries => {
          const found = findStoreRoot(Object.keys(entries));
          if (typeof found !== "string") {
            problem = new ChunkwiseError("NotADatasetError", found.problem, { path: location });
            return {};
          }
          prefix = found;
          const stripped: ZipEntries = {};
          for (const [name, entry] of Object.entries(entries)) {
            if (!name.startsWith(prefix) || entry.isDirectory || name.endsWith("/")) continue;
            const key = name.slice(prefix.length);
            stripped[key] = entry;
            files.set(key, entry.compressedSize);
          }
          return stripped;
        },
      });
      // The central directory is read on the first access; this forces it (and its errors) now.
      await store.get("/zarr.json").catch((err: unknown) => {
        throw new ChunkwiseError("NotADatasetError", `is not a readable zip archive (${shortMessage(err)})`, { path: location, cause: err });
      });
      if (problem) throw problem;
      return new ZipStoreAccess(location, handle, store, prefix, files);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  describeKey(key: string): string {
    return `${this.location}:${this.#prefix}${key}`;
  }

  async readFile(key: string): Promise<Uint8Array | undefined> {
    if (!this.#files.has(key)) return undefined;
    try {
      return await this.store.get(`/${key}`);
    } catch (err) {
      throw new ChunkwiseError("IOError", `cannot read zip entry: ${shortMessage(err)}`, { path: this.describeKey(key), cause: err });
    }
  }

  async listDir(key: string): Promise<DirectoryListing> {
    const dir = this.#dirs.get(key);
    return dir ? { files: dir.files, dirs: [...dir.dirs] } : { files: [], dirs: [] };
  }

  async listNames(key: string): Promise<string[]> {
    const dir = this.#dirs.get(key);
    return dir ? [...dir.files, ...dir.dirs] : [];
  }

  sizeTally(): SizeTally {
    const tally = { files: 0, bytes: 0 };
    return {
      add: (dirKey, name) => {
        const size = this.#files.get(joinKey(dirKey, name));
        if (size === undefined) return;
        tally.files++;
        tally.bytes += size;
      },
      finish: async () => tally,
    };
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }
}

/** The entry prefix ("" or "data.zarr/") of the shallowest directory that holds Zarr metadata. */
function findStoreRoot(names: readonly string[]): string | { problem: string } {
  let best: string[] = [];
  let bestDepth = Infinity;
  for (const name of names) {
    const slash = name.lastIndexOf("/");
    if (!METADATA_FILES.has(name.slice(slash + 1))) continue;
    const dir = name.slice(0, slash + 1);
    const depth = dir.split("/").length;
    if (depth < bestDepth) {
      best = [dir];
      bestDepth = depth;
    } else if (depth === bestDepth && !best.includes(dir)) best.push(dir);
  }
  if (best.length === 0) return { problem: "zip archive holds no zarr.json, .zgroup or .zarray: not a zipped Zarr store" };
  if (best.length > 1) {
    return { problem: `zip archive holds several Zarr stores (${best.map((dir) => dir.replace(/\/$/, "")).join(", ")}); unzip it and open one` };
  }
  return best[0]!;
}

function buildDirectoryIndex(files: ReadonlyMap<string, number>): Map<string, { files: string[]; dirs: Set<string> }> {
  const dirs = new Map<string, { files: string[]; dirs: Set<string> }>();
  const dirOf = (key: string) => {
    let dir = dirs.get(key);
    if (!dir) {
      dir = { files: [], dirs: new Set() };
      dirs.set(key, dir);
    }
    return dir;
  };
  for (const key of files.keys()) {
    const parts = key.split("/");
    for (let depth = 0; depth < parts.length - 1; depth++) {
      dirOf(parts.slice(0, depth).join("/")).dirs.add(parts[depth]!);
    }
    dirOf(parts.slice(0, -1).join("/")).files.push(parts[parts.length - 1]!);
  }
  return dirs;
}

export function shortMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split("\n")[0]!.slice(0, 200);
}
