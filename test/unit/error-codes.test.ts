// The error vocabulary: every file error code the agent sends has its own HTTP status, checked by the
// compiler (tsc runs over the tests: the @ts-expect-error line fails the build if the map stops being
// exact) and at run time.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { FILE_ERROR_CODES, type FileErrorCode } from '../../agent/files/errors.js';
import { type ErrorCode, errorStatus, fileErrorStatus, isErrorCode } from '../../main/contract/errors.js';

describe('error codes', () => {
  it('every agent file error code is an admin error code with its own status', () => {
    expectTypeOf<FileErrorCode>().toExtend<ErrorCode>();
    expectTypeOf(fileErrorStatus).toExtend<Record<FileErrorCode, number>>();
    for (const code of FILE_ERROR_CODES) {
      expect(isErrorCode(code)).toBe(true);
      expect(errorStatus[code]).toBe(fileErrorStatus[code]);
    }
    expect(Object.keys(fileErrorStatus).sort()).toEqual([...FILE_ERROR_CODES].sort());
  });

  it('a file error code added without a status does not compile', () => {
    type Tomorrow = FileErrorCode | 'quota_exceeded';
    // @ts-expect-error -- 'quota_exceeded' has no status: the check main/contract/errors.ts applies
    const checked = fileErrorStatus satisfies Record<Tomorrow, number>;
    expect(checked).toBe(fileErrorStatus);
  });

  it('keeps the codes and their order (the OpenAPI enum lists them)', () => {
    expect(Object.keys(errorStatus)).toEqual([
      'bad_request',
      'unauthorized',
      'forbidden',
      'not_found',
      'conflict',
      'cancelled',
      'idempotency_key_reused',
      'request_timeout',
      'headers_too_large',
      'range_not_satisfiable',
      'payload_too_large',
      'rate_limited',
      'internal',
      'unavailable',
      'database_too_new',
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
      'changed',
      'capability_missing',
      'io_error',
      'node_offline',
      'timeout',
      'bad_agent_reply',
    ]);
  });
});
