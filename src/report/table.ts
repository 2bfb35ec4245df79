import { stripVTControlCharacters } from "node:util";

export type Align = "left" | "right";

export interface Column {
  readonly header: string;
  readonly align?: Align;
}

const visibleWidth = (text: string): number => [...stripVTControlCharacters(text)].length;

function pad(text: string, width: number, align: Align): string {
  const fill = " ".repeat(Math.max(0, width - visibleWidth(text)));
  return align === "right" ? fill + text : text + fill;
}

/** An aligned text table; cells may carry colour codes, widths count visible characters only. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], style: (header: string) => string = (h) => h): string {
  const widths = columns.map((column, i) => Math.max(visibleWidth(column.header), ...rows.map((row) => visibleWidth(row[i] ?? ""))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => pad(cell, widths[i]!, columns[i]!.align ?? "left"))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => style(c.header))), ...rows.map(line)].join("\n");
}
