/**
 * Which locations are remote, and where an `s3://bucket/key` location is read from over HTTPS.
 * Access is anonymous: public buckets only, no credentials are read or sent.
 */
import { ChunkwiseError } from "../../errors.js";

export interface RemoteOptions {
  /** AWS region of an s3:// bucket (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1). */
  readonly region?: string;
  /** S3-compatible endpoint for s3:// locations, e.g. https://storage.googleapis.com; the bucket goes in the path. */
  readonly endpoint?: string;
}

export function isRemoteLocation(location: string): boolean {
  return /^(https?|s3):\/\//i.test(location);
}

/**
 * The HTTP(S) URL a location is read from: http(s) URLs unchanged, s3:// mapped to the bucket's
 * endpoint (virtual-hosted `https://BUCKET.s3.REGION.amazonaws.com/KEY`, path-style when the
 * bucket name has dots or an --endpoint is given). Local paths come back unchanged; --region and
 * --endpoint are refused for anything but s3://.
 */
export function resolveLocation(location: string, options: RemoteOptions = {}): string {
  const isS3 = /^s3:\/\//i.test(location);
  if (!isS3) {
    if (options.region !== undefined || options.endpoint !== undefined) {
      throw new ChunkwiseError("UsageError", "--region and --endpoint apply only to s3:// locations", { path: location });
    }
    if (isRemoteLocation(location)) parseHttpUrl(location, location);
    return location;
  }
  const rest = location.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? "" : rest.slice(slash + 1).replace(/^\/+/, "");
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ChunkwiseError("UsageError", `"${bucket}" is not a valid S3 bucket name`, { path: location });
  }
  const encodedKey = key.split("/").map(encodeURIComponent).join("/");
  if (options.endpoint !== undefined) {
    const endpoint = parseHttpUrl(options.endpoint, "--endpoint");
    return `${endpoint.origin}${endpoint.pathname.replace(/\/+$/, "")}/${bucket}/${encodedKey}`;
  }
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  if (!/^[a-z]{2}(-[a-z0-9]+)+-\d+$/.test(region)) throw new ChunkwiseError("UsageError", `"${region}" is not an AWS region name (e.g. us-west-2)`);
  return bucket.includes(".") ? `https://s3.${region}.amazonaws.com/${bucket}/${encodedKey}` : `https://${bucket}.s3.${region}.amazonaws.com/${encodedKey}`;
}

function parseHttpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ChunkwiseError("UsageError", `${what}: not a valid URL`, { path: text });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ChunkwiseError("UsageError", `${what}: only http:// and https:// URLs are supported`, { path: text });
  if (url.username !== "" || url.password !== "") throw new ChunkwiseError("UsageError", `${what}: credentials in URLs are not supported (anonymous access only)`, { path: text });
  return url;
}
