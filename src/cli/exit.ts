// A non-error exit status, thrown after the command already presented its outcome (e.g. doctor found
// corruption, or some records were skipped). main.ts exits with it.

export class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = "ExitCode";
  }
}
