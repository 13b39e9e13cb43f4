// IMAP sequence sets both ways: uidSet compresses UIDs for a command, orderedSet reads
// an ESORT result (RFC 5267), whose ranges keep the sort order in either direction.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { orderedSet, uidSet } from '../../adapters/imap/convert.js';

describe('IMAP sets', () => {
  test('uidSet: sorted, unique, ranges', () => {
    assert.equal(uidSet([5, 3, 4, 9, 1, 3]), '1,3:5,9');
  });
  test('orderedSet: ranges up and down, single numbers, in the order given', () => {
    assert.deepEqual(orderedSet('7,3:5,9:8'), [7, 3, 4, 5, 9, 8]);
    assert.deepEqual(orderedSet('10000:9998,12'), [10000, 9999, 9998, 12]);
  });
  test('orderedSet: NIL and nothing are empty', () => {
    assert.deepEqual(orderedSet('NIL'), []);
    assert.deepEqual(orderedSet(''), []);
  });
});
