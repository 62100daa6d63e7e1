// The checks the library offers its interfaces (`pls doctor`, `pls pool clean`, flags) and users: a pool file
// validated frame by frame (spec/format §9), the temporary files interrupted creates left behind, a lock timeout
// value. The engine does the work (src/pool/doctor.ts, create-temps.ts, write-lock.ts); the interfaces reach it
// here, never in src/pool directly.
export { doctorPool, type DoctorIssue, type DoctorReport } from "../pool/doctor.ts";
export { removeStaleCreateTemps, staleCreateTemps, staleTempReport, type StaleTemp } from "../pool/create-temps.ts";
export { checkLockTimeout } from "../pool/write-lock.ts";
