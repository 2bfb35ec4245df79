import { describe, expect, it } from "vitest";
import { rechunkDestination } from "../../src/report/advise.js";

describe("rechunkDestination", () => {
  it("sits beside a local source, keeping its extension", () => {
    expect(rechunkDestination("data/era5.zarr")).toBe("data/era5.rechunked.zarr");
    expect(rechunkDestination("data/era5.zarr/")).toBe("data/era5.rechunked.zarr");
    expect(rechunkDestination("climate.nc")).toBe("climate.rechunked.nc");
    expect(rechunkDestination("store")).toBe("store.rechunked.zarr");
  });
  it("is a local path for a remote source", () => {
    expect(rechunkDestination("https://example.org/bucket/era5.zarr/")).toBe("era5.rechunked.zarr");
    expect(rechunkDestination("s3://bucket/path/tas.zarr")).toBe("tas.rechunked.zarr");
  });
});
