import FetchStore from "@zarrita/storage/fetch";
import type { AsyncReadable } from "@zarrita/storage";
import { ChunkwiseError } from "../../errors.js";
import { HttpClient } from "../remote/http-client.js";
import type { DirectoryListing, SizeTally, StoreAccess } from "./store-access.js";

/**
 * A Zarr store read over HTTP(S) with zarrita's FetchStore, every request going through one
 * HttpClient (timeouts, retries, concurrency limit). Shards are read with range requests
 * (suffix ranges for the index at the end). Plain HTTP has no directory listing: the store is
 * not listable, so arrays come from consolidated metadata or from the paths the user names.
 */
export class HttpStoreAccess implements StoreAccess {
  readonly location: string;
  readonly store: AsyncReadable;
  readonly listable = false;
  readonly client: HttpClient;
  readonly #base: URL;

  constructor(url: string, client: HttpClient = new HttpClient()) {
    this.location = url;
    this.client = client;
    this.#base = new URL(url);
    if (!this.#base.pathname.endsWith("/")) this.#base.pathname += "/";
    this.store = new FetchStore(this.#base.href, { fetch: client.fetch, useSuffixRequest: true });
  }

  describeKey(key: string): string {
    return key === "" ? this.location : new URL(key.split("/").map(encodeURIComponent).join("/"), this.#base).href;
  }

  async readFile(key: string): Promise<Uint8Array | undefined> {
    return this.store.get(`/${key}`);
  }

  async listDir(key: string): Promise<DirectoryListing> {
    throw this.#unlistable(key);
  }

  async listNames(key: string): Promise<string[]> {
    throw this.#unlistable(key);
  }

  sizeTally(): SizeTally {
    throw this.#unlistable("");
  }

  #unlistable(key: string): ChunkwiseError {
    return new ChunkwiseError("UnsupportedError", "a store over HTTP cannot be listed", { path: this.describeKey(key) });
  }

  async close(): Promise<void> {}
}
