// The CLI's view of the library's exit codes and error type (src/jobs/errors.ts).
export { EXIT, JobError as CliError } from '../jobs/errors.js';
