// File errors with stable codes, shared by the agent's file service and the master's API.
export const FILE_ERROR_CODES = [
  'not_found',
  'permission_denied',
  'not_a_directory',
  'is_a_directory',
  'outside_roots',
  'invalid_path',
  'exists',
  'not_empty',
  'too_large',
  'binary',
  'checksum_mismatch',
  /** The file moved on the host since it was opened (an edit's guard). */
  'changed',
  'capability_missing',
  'io_error',
] as const;
export type FileErrorCode = (typeof FILE_ERROR_CODES)[number];

export class FileError extends Error {
  constructor(
    readonly code: FileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FileError';
  }
}

/** Maps Node's errno codes to ours, with a message that names the path. */
export function fromErrno(error: unknown, path: string): FileError {
  if (error instanceof FileError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new FileError('not_found', `${path} does not exist`);
    case 'EACCES':
    case 'EPERM':
      return new FileError('permission_denied', `permission denied: ${path}`);
    case 'ENOTDIR':
      return new FileError('not_a_directory', `${path} is not a directory`);
    case 'EISDIR':
      return new FileError('is_a_directory', `${path} is a directory`);
    case 'EEXIST':
      return new FileError('exists', `${path} already exists`);
    case 'ENOTEMPTY':
      return new FileError('not_empty', `${path} is not empty (delete with recursive=true)`);
    case 'ENAMETOOLONG':
      return new FileError('invalid_path', `name too long: ${path.slice(0, 200)}…`);
    default:
      return new FileError('io_error', `${path}: ${(error as Error).message}`);
  }
}
