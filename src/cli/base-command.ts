import { Command, Flags } from "@oclif/core";
import { ChunkwiseError, ExitCode, errorLine, isChunkwiseError } from "../errors.js";
import { configureColor } from "../report/style.js";

/** The JSON documents chunkwise prints carry this version; bump it on any incompatible change. */
export const JSON_SCHEMA_VERSION = 1;

/**
 * Shared behaviour of every chunkwise command: `--json`, `--debug`, colour, and the single place
 * where errors become one line on stderr and a documented exit code.
 */
export abstract class ChunkwiseCommand extends Command {
  static override baseFlags = {
    json: Flags.boolean({ description: "Print one JSON document on stdout (versioned schema, see README)." }),
    debug: Flags.boolean({ description: "Show the stack trace of an error." }),
    "no-color": Flags.boolean({ description: "Plain text without colour (also: NO_COLOR, non-TTY output)." }),
  };

  protected override async init(): Promise<void> {
    await super.init();
    configureColor({ noColorFlag: this.argv.includes("--no-color") });
  }

  /** Print a JSON document (the command's result) on stdout. */
  protected printJson(document: Record<string, unknown>): void {
    process.stdout.write(`${JSON.stringify({ schema: JSON_SCHEMA_VERSION, ...document }, jsonReplacer, 2)}\n`);
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    // A parse error is answered here: keep oclif from also warning that the command never parsed.
    this.parsed = true;
    const known = toChunkwiseError(err);
    const debug = this.argv.includes("--debug");
    if (known === undefined) {
      process.exitCode = ExitCode.ioError;
      process.stderr.write(`chunkwise: internal error: ${firstLine(err.message)}${debug ? "" : " (run with --debug for details)"}\n`);
    } else {
      process.exitCode = known.exitCode;
      process.stderr.write(`chunkwise: ${errorLine(known)}\n`);
    }
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    if (this.argv.includes("--json")) {
      const error = known
        ? { code: known.tag, message: known.message, path: known.path ?? null, exit_code: known.exitCode }
        : { code: "InternalError", message: err.message, path: null, exit_code: ExitCode.ioError };
      process.stdout.write(`${JSON.stringify({ schema: JSON_SCHEMA_VERSION, error }, null, 2)}\n`);
    }
  }
}

function firstLine(text: string): string {
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? text;
}

/** oclif's own parse errors (unknown flag, bad value, missing argument) are usage errors: exit 2. */
function toChunkwiseError(err: Error & { oclif?: { exit?: number } }): ChunkwiseError | undefined {
  if (isChunkwiseError(err)) return err;
  if (err.oclif !== undefined || /^(Parsing|Nonexistent|Unexpected|Missing|Expected)/.test(err.message)) {
    return new ChunkwiseError("UsageError", firstLine(err.message).replace(/^Error:\s*/, ""), { cause: err });
  }
  return undefined;
}

/** JSON has no NaN, Infinity or BigInt: write them as strings rather than lose them. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}
