// `fleetdeck cluster-key rotate`: a new cluster key, every sealed value re-sealed with it in one
// transaction. The key file is written first with the new key and the one it replaces (still accepted
// for opening), so an instance that reads it at any moment opens every secret; the database switches
// to the new key only with the re-sealed values, atomically. Instances on other hosts keep working
// with what they hold in memory and read their key file again once the database names the new key:
// copying the file to them finishes the rotation.
import { FleetError } from '../../contract/errors.js';
import type { Db } from '../store/schema.js';
import { currentKeyRecord } from './cluster-key.js';
import { generateKey, readKeyFile, writeKeyFile } from './key-file.js';
import { contextOf, readSealedValues, replaceSealedValue } from './sealed-values.js';
import { checkValueOf, KeyRing, keyIdOf, sealedKeyId } from './secret-box.js';

export interface RotationResult {
  keyId: string;
  previousKeyId: string;
  resealed: number;
  file: string;
}

export async function rotateClusterKey(db: Db, dialect: 'sqlite' | 'mariadb', file: string): Promise<RotationResult> {
  const keys = readKeyFile(file);
  const record = await currentKeyRecord(db, dialect);
  if (!record) {
    throw new FleetError(
      'bad_request',
      'This database has no cluster key yet, so there is nothing to rotate: a master creates one at its first start.',
    );
  }
  const current = keys.find((k) => checkValueOf(k) === record.check_value);
  if (!current) {
    throw new FleetError(
      'bad_request',
      `The key file ${file} does not hold this database's cluster key ${record.key_id}: rotate with the key file of an instance of the cluster (--cluster-key-file).`,
    );
  }
  const next = generateKey();
  const nextId = keyIdOf(next);
  writeKeyFile(file, [next, current]);
  const ring = new KeyRing([next, ...keys]);
  const resealed = await db.transaction().execute(async (trx) => {
    const locked = await currentKeyRecord(trx, dialect, true);
    if (locked?.key_id !== record.key_id) {
      throw new FleetError(
        'conflict',
        'The cluster key was rotated by someone else meanwhile: run the rotation again.',
      );
    }
    const values = await readSealedValues(trx);
    for (const value of values) {
      const plain = ring.open(value.sealed, contextOf(value));
      if (plain === null) {
        throw new FleetError(
          'bad_request',
          `A secret (${contextOf(value)}) is sealed with cluster key ${sealedKeyId(value.sealed)}, which ${file} does not hold; nothing was changed.`,
        );
      }
      await replaceSealedValue(trx, value, ring.seal(nextId, plain, contextOf(value)));
    }
    await trx
      .updateTable('cluster_key')
      .set({ key_id: nextId, check_value: checkValueOf(next), previous_key_id: record.key_id, rotated_at: Date.now() })
      .where('name', '=', record.name)
      .execute();
    return values.length;
  });
  return { keyId: nextId, previousKeyId: record.key_id, resealed, file };
}
