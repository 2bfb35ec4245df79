import { Flags } from "@oclif/core";
import { resolveLocation } from "../formats/remote/location.js";

/** `--region` and `--endpoint`, shared by the commands that read a dataset (docs/remote.md). */
export const remoteFlags = {
  region: Flags.string({ description: "AWS region of an s3:// bucket (default: AWS_REGION, else us-east-1). Public buckets only: access is anonymous." }),
  endpoint: Flags.string({ description: "S3-compatible HTTPS endpoint for an s3:// location, e.g. https://storage.googleapis.com (the bucket goes in the path)." }),
};

/** The location to open: s3:// mapped to its HTTPS URL with the flags, anything else as typed. */
export function datasetLocation(path: string, flags: { region?: string; endpoint?: string }): string {
  return resolveLocation(path, { region: flags.region, endpoint: flags.endpoint });
}
