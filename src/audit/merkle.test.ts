import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  hashLeaf,
  inclusionProof,
  rootOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';
import { toLeafHash } from './event.js';

/*
 * Test vectors of the RFC 6962 tree from transparency-dev/merkle (Apache-2.0): testonly/constants.go
 * (leaf inputs, root hashes for sizes 0..8) and proof/verify_test.go (inclusion and consistency proofs;
 * leaf numbers there are 1-based). Only the data values are reproduced here.
 */
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION: [leaf1: number, size: number, proof: string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    2,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CONSISTENCY: [size1: number, size2: number, proof: string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];
const hex = (hs: readonly Buffer[]) => hs.map((h) => h.toString('hex'));
const unhex = (hs: readonly string[]) => hs.map((h) => Buffer.from(h, 'hex'));
const hashes = LEAVES.map(hashLeaf);

describe('when hashing the RFC 6962 test vectors', () => {
  it.each(ROOTS.map((r, n) => [n, r] as const))(
    '[AUD-3] the tree of %i leaves has the published root',
    (n, root) => {
      expect(rootOf(hashes.slice(0, n)).toString('hex')).toBe(root);
      const range = new CompactRange();
      for (const h of hashes.slice(0, n)) range.append(h);
      expect(range.root().toString('hex')).toBe(root);
    },
  );
  it('[AUD-3] the empty tree is SHA-256 of nothing', () =>
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]));
});

describe('when proving inclusion', () => {
  it.each(INCLUSION)(
    '[AUD-3] leaf %i of %i yields and verifies the published proof',
    (leaf1, size, proof) => {
      const got = inclusionProof(hashes, leaf1 - 1, size);
      expect(hex(got)).toEqual(proof);
      const root = Buffer.from(ROOTS[size] as string, 'hex');
      expect(verifyInclusion(leaf1 - 1, size, hashes[leaf1 - 1] as Buffer, got, root)).toBe(true);
    },
  );
  it.each(INCLUSION.filter(([, , p]) => p.length > 0))(
    '[AUD-3] refuses corrupted proofs of leaf %i of %i',
    (leaf1, size, proof) => {
      const root = Buffer.from(ROOTS[size] as string, 'hex');
      const leaf = hashes[leaf1 - 1] as Buffer;
      const p = unhex(proof);
      const i = leaf1 - 1;
      expect(verifyInclusion(i + 1, size, leaf, p, root)).toBe(false);
      expect(verifyInclusion(i, size * 2, leaf, p, root)).toBe(false);
      expect(verifyInclusion(i, size, hashLeaf(Buffer.from('WrongLeaf')), p, root)).toBe(false);
      expect(verifyInclusion(i, size, leaf, [...p, root], root)).toBe(false);
      expect(verifyInclusion(i, size, leaf, [root, ...p], root)).toBe(false);
      expect(verifyInclusion(i, size, leaf, p.slice(0, -1), root)).toBe(false);
      const flipped = p.map((h) => Buffer.from(h));
      const first = flipped[0] as Buffer;
      first.writeUInt8((first.readUInt8(0) ^ 8) & 0xff, 0);
      expect(verifyInclusion(i, size, leaf, flipped, root)).toBe(false);
    },
  );
});

describe('when proving consistency', () => {
  it.each(CONSISTENCY)('[AUD-3] %i → %i yields and verifies the published proof', (m, n, proof) => {
    const got = consistencyProof(hashes, m, n);
    expect(hex(got)).toEqual(proof);
    const r1 = Buffer.from(ROOTS[m] as string, 'hex');
    const r2 = Buffer.from(ROOTS[n] as string, 'hex');
    expect(verifyConsistency(m, n, got, r1, r2)).toBe(true);
  });
  it.each(CONSISTENCY.filter(([, , p]) => p.length > 0))(
    '[AUD-3] refuses corrupted proofs %i → %i',
    (m, n, proof) => {
      const r1 = Buffer.from(ROOTS[m] as string, 'hex');
      const r2 = Buffer.from(ROOTS[n] as string, 'hex');
      const p = unhex(proof);
      expect(verifyConsistency(m - 1, n, p, r1, r2)).toBe(false);
      expect(verifyConsistency(m + 1, n, p, r1, r2)).toBe(false);
      expect(verifyConsistency(m, n * 2, p, r1, r2)).toBe(false);
      expect(verifyConsistency(m, n, p, r2, r1)).toBe(false);
      expect(verifyConsistency(m, n, [], r1, r2)).toBe(false);
      expect(verifyConsistency(m, n, p.slice(0, -1), r1, r2)).toBe(false);
      expect(verifyConsistency(m, n, [...p, r1], r1, r2)).toBe(false);
    },
  );
  it('[AUD-3] any prefix is consistent with any larger tree, and every leaf is included (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 }),
        fc.nat(),
        fc.nat(),
        (data, a, b) => {
          const leaves = data.map(hashLeaf);
          const n = leaves.length;
          const m = a % (n + 1);
          const i = b % n;
          const root = rootOf(leaves);
          expect(verifyInclusion(i, n, leaves[i] as Buffer, inclusionProof(leaves, i), root)).toBe(
            true,
          );
          expect(
            verifyConsistency(m, n, consistencyProof(leaves, m), rootOf(leaves, 0, m), root),
          ).toBe(true);
        },
      ),
    );
  });
});

describe('when a stored entry body is hashed as a leaf', () => {
  it('[AUD-3] the one-shot leaf hash of a body is the RFC 6962 leaf hash of its UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (body) => {
        expect(toLeafHash(body).equals(hashLeaf(Buffer.from(body, 'utf8')))).toBe(true);
      }),
    );
  });
});

describe('when the log grows its compact range from entry bodies', () => {
  it('[AUD-3] the root at every size (binary and hex) is the RFC 6962 root of the same leaves (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 70 }),
        (bodies) => {
          const range = new CompactRange();
          const leaves: Buffer[] = [];
          for (const body of bodies) {
            expect(range.rootHex()).toBe(rootOf(leaves).toString('hex'));
            range.appendBody(body);
            leaves.push(toLeafHash(body));
            expect(range.root().equals(rootOf(leaves))).toBe(true);
          }
          expect(range.size).toBe(bodies.length);
        },
      ),
    );
  });
});
