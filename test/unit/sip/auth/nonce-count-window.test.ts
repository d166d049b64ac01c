import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NonceCountWindow } from '../../../../src/sip/auth/nonce-count-window.js';

describe('NonceCountWindow', () => {
  it('accepts each count once, in any order inside the window', () => {
    const window = new NonceCountWindow(10);
    assert.deepEqual(
      [5, 1, 5, 3, 2, 1, 70, 6, 7, 70].map((nc) => window.check('n', 0, nc)),
      // 6 is 64 below 70: outside the window; 7 is just inside it.
      ['fresh', 'fresh', 'replay', 'fresh', 'fresh', 'replay', 'fresh', 'replay', 'fresh', 'replay'],
    );
  });

  it('rejects a count older than the window', () => {
    const window = new NonceCountWindow(10);
    window.check('n', 0, 100);
    assert.equal(window.check('n', 0, 37), 'fresh');
    assert.equal(window.check('n', 0, 36), 'replay');
  });

  it('keeps nonces apart', () => {
    const window = new NonceCountWindow(10);
    assert.equal(window.check('a', 0, 1), 'fresh');
    assert.equal(window.check('b', 0, 1), 'fresh');
    assert.equal(window.check('a', 0, 1), 'replay');
  });

  it('bounds memory, and reports nonces issued before a forgotten one as forgotten', () => {
    const window = new NonceCountWindow(2);
    window.check('a', 100, 1);
    window.check('b', 200, 1);
    window.check('c', 300, 1); // forgets a (issued at 100)
    assert.equal(window.size, 2);
    assert.equal(window.check('a', 100, 2), 'forgotten');
    assert.equal(window.check('old', 50, 1), 'forgotten');
    assert.equal(window.check('d', 400, 1), 'fresh');
  });

  it('prunes nonces issued before a time', () => {
    const window = new NonceCountWindow(10);
    window.check('a', 100, 1);
    window.check('b', 200, 1);
    window.prune(150);
    assert.equal(window.size, 1);
    assert.equal(window.check('b', 200, 1), 'replay');
  });
});
