import { readFileSync } from "node:fs";
import { cpus, totalmem, type } from "node:os";

export const median = (values: number[]): number => percentile(values, 50);

/** Nearest-rank percentile; NaN for no values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Resident set size of a process in MB, from /proc (Linux); NaN elsewhere. */
export function rssMb(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process used so far, in clock ticks (Linux USER_HZ, 100 per second). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One line per fact, for the benchmark record: results mean little without the machine. */
export function machine(): Record<string, string> {
  let cpu = cpus()[0]?.model ?? "unknown";
  let os = `${type()}`;
  try {
    cpu = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m)?.[1] ?? cpu;
  } catch {}
  try {
    os = readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]+)"?$/m)?.[1] ?? os;
  } catch {}
  let load = "";
  try {
    load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {}
  return {
    CPUs: String(cpus().length),
    "CPU model": cpu,
    RAM: `${(totalmem() / 1024 ** 3).toFixed(1)} GB`,
    Node: process.version,
    OS: `${os} (${process.platform} ${process.arch})`,
    "Load average at start (1/5/15 min)": load || "n/a",
  };
}

export const fmtMs = (ms: number, digits = 1) => (Number.isFinite(ms) ? `${ms.toFixed(digits)} ms` : "n/a");
export const fmtMb = (mb: number) => (Number.isFinite(mb) ? `${mb.toFixed(1)} MB` : "n/a");
export const fmtKb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
