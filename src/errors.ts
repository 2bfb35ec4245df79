/**
 * Every failure a user can cause or meet is a ChunkwiseError: a tag that callers can narrow on,
 * a one-line message that names the file and the problem, and the documented exit code.
 * Commands map any error to a line on stderr in one place (src/commands/base.ts).
 */

export const ExitCode = {
  ok: 0,
  /** A check failed: `--fail-on` reached, a verification mismatch. */
  checkFailed: 1,
  /** Bad input or usage: wrong flags, missing path, not a dataset, corrupt metadata. */
  badInput: 2,
  /** I/O failure while running: permission denied, disk full, unreadable or truncated data. */
  ioError: 3,
  /** The data uses a feature chunkwise cannot decode or encode (codec, filter, dtype). */
  unsupported: 4,
  /** Interrupted by a signal (SIGINT/SIGTERM). */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorTag =
  | "UsageError"
  | "NotFoundError"
  | "PermissionError"
  | "NotADatasetError"
  | "NetCDF3Error"
  | "MetadataError"
  | "UnsupportedError"
  | "TruncatedError"
  | "IOError"
  | "CheckFailedError"
  | "InterruptedError";

const exitCodeByTag: Record<ErrorTag, ExitCodeValue> = {
  UsageError: ExitCode.badInput,
  NotFoundError: ExitCode.badInput,
  PermissionError: ExitCode.ioError,
  NotADatasetError: ExitCode.badInput,
  NetCDF3Error: ExitCode.badInput,
  MetadataError: ExitCode.badInput,
  UnsupportedError: ExitCode.unsupported,
  TruncatedError: ExitCode.ioError,
  IOError: ExitCode.ioError,
  CheckFailedError: ExitCode.checkFailed,
  InterruptedError: ExitCode.interrupted,
};

export class ChunkwiseError extends Error {
  readonly tag: ErrorTag;
  /** The file or store the problem is in, when there is one. */
  readonly path: string | undefined;
  readonly exitCode: ExitCodeValue;

  constructor(tag: ErrorTag, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = tag;
    this.tag = tag;
    this.path = options.path;
    this.exitCode = exitCodeByTag[tag];
  }
}

export function isChunkwiseError(err: unknown, tag?: ErrorTag): err is ChunkwiseError {
  return err instanceof ChunkwiseError && (tag === undefined || err.tag === tag);
}

/** The one line a user sees: "chunkwise: <path>: <problem>". */
export function errorLine(err: ChunkwiseError): string {
  return err.path ? `${err.path}: ${err.message}` : err.message;
}

/**
 * Turn a Node system error (ENOENT, EACCES, ENOSPC, …) met while touching `path` into a
 * ChunkwiseError; anything else is returned unchanged.
 */
export function fromSystemError(err: unknown, path: string): unknown {
  if (isChunkwiseError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return new ChunkwiseError("NotFoundError", "no such file or directory", { path, cause: err });
    case "EACCES":
    case "EPERM":
      return new ChunkwiseError("PermissionError", "permission denied", { path, cause: err });
    case "ENOSPC":
      return new ChunkwiseError("IOError", "no space left on device", { path, cause: err });
    case "EISDIR":
      return new ChunkwiseError("IOError", "is a directory, expected a file", { path, cause: err });
    case "ENOTDIR":
      return new ChunkwiseError("NotFoundError", "a parent of this path is not a directory", { path, cause: err });
    case "EIO":
      return new ChunkwiseError("IOError", "input/output error", { path, cause: err });
    default:
      return err;
  }
}
