// stdout carries only JSON: pretty on a TTY, one compact line when piped.

export function printJson(value: unknown): void {
  const text = process.stdout.isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value);
  process.stdout.write(text + "\n");
}
