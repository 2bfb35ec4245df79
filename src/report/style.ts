import chalk from "chalk";

/**
 * Colour only when a person will see it: chalk 5 ignores NO_COLOR, so it is honoured here, as
 * are --no-color, FORCE_COLOR and a stdout that is not a terminal.
 */
export function configureColor(options: { noColorFlag: boolean; isTTY?: boolean; env?: NodeJS.ProcessEnv }): void {
  const env = options.env ?? process.env;
  const isTTY = options.isTTY ?? Boolean(process.stdout.isTTY);
  const forced = env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  const noColor = options.noColorFlag || (env.NO_COLOR !== undefined && env.NO_COLOR !== "") || env.FORCE_COLOR === "0";
  if (noColor) chalk.level = 0;
  else if (!isTTY && !forced) chalk.level = 0;
}

export { chalk };
