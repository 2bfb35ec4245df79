import chalk, { Chalk } from "chalk";
import { describe, expect, it } from "vitest";
import { configureColor } from "../../src/report/style.js";
import { renderTable } from "../../src/report/table.js";

describe("renderTable", () => {
  it("aligns columns by visible width, ignoring colour codes", () => {
    const coloured = new Chalk({ level: 1 });
    const text = renderTable([{ header: "A" }, { header: "SIZE", align: "right" }], [[coloured.red("long-name"), "1 B"], ["x", "100 KiB"]]);
    const lines = text.split("\n").map((l) => l.replace(/\x1b\[[0-9;]*m/g, ""));
    expect(lines).toEqual(["A             SIZE", "long-name      1 B", "x          100 KiB"]);
  });
});

describe("configureColor", () => {
  it("honours NO_COLOR, --no-color, FORCE_COLOR=0 and non-TTY output", () => {
    const cases: [Parameters<typeof configureColor>[0], boolean][] = [
      [{ noColorFlag: false, isTTY: true, env: {} }, true],
      [{ noColorFlag: false, isTTY: true, env: { NO_COLOR: "1" } }, false],
      [{ noColorFlag: true, isTTY: true, env: {} }, false],
      [{ noColorFlag: false, isTTY: true, env: { FORCE_COLOR: "0" } }, false],
      [{ noColorFlag: false, isTTY: false, env: {} }, false],
      [{ noColorFlag: false, isTTY: false, env: { FORCE_COLOR: "1" } }, true],
    ];
    for (const [options, coloured] of cases) {
      chalk.level = 2;
      configureColor(options);
      expect(chalk.level > 0, JSON.stringify(options)).toBe(coloured);
    }
  });
});
