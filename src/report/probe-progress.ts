import type { ProbeProgress } from "../app/probe.js";

/**
 * Progress on stderr while probing: redrawn in place on a terminal; elsewhere one plain line per
 * step and at most one every 2 s, so logs stay readable.
 */
export function probeProgressWriter(stream: NodeJS.WriteStream = process.stderr): { update: (p: ProbeProgress) => void; done: () => void } {
  const tty = Boolean(stream.isTTY);
  let lastStep = "";
  let lastLine = 0;
  let drawn = false;
  return {
    update(p) {
      const line = `probe [${p.elapsedSeconds.toFixed(1)}/${p.budgetSeconds} s] ${p.step}: ${p.message}`;
      if (tty) {
        stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 100) - 1)}`);
        drawn = true;
        return;
      }
      const now = Date.now();
      if (p.step !== lastStep || now - lastLine >= 2000) {
        stream.write(`${line}\n`);
        lastStep = p.step;
        lastLine = now;
      }
    },
    done() {
      if (tty && drawn) stream.write("\r\x1b[2K");
    },
  };
}
