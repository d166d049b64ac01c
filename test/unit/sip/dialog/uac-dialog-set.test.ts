import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../../../../src/sip/message/index.js';
import type { SipRequest, SipResponse } from '../../../../src/sip/message/types.js';
import { DialogRegistry, UacDialogSet } from '../../../../src/sip/dialog/index.js';
import { nameAddr, request, uri } from '../transaction/messages.js';

function invite(): SipRequest {
  const message = request({ method: 'INVITE', branch: 'z9hG4bKfork', seq: 1, fromTag: 'alice-tag' });
  message.contact = [nameAddr(uri('alice', '192.0.2.10'))];
  return message;
}

function fromFork(to: SipRequest, status: number, tag: string | undefined, host = `${tag ?? 'none'}.example.com`): SipResponse {
  const response = createResponse(to, status, undefined, tag === undefined ? {} : { toTag: tag });
  response.contact = [nameAddr(uri('bob', host))];
  return response;
}

describe('UacDialogSet: forking (RFC 3261 §12.1.2, §13.2.2.4)', () => {
  it('each To tag in a provisional response opens its own early dialog, all with the same Call-ID and local tag', () => {
    const offer = invite();
    const set = new UacDialogSet(offer);
    assert.equal(set.receiveResponse(fromFork(offer, 100, undefined)), undefined);
    const a = set.receiveResponse(fromFork(offer, 180, 'a'));
    const b = set.receiveResponse(fromFork(offer, 183, 'b'));
    assert.equal(set.receiveResponse(fromFork(offer, 180, 'a')), a, 'the same fork finds its dialog again');
    assert.ok(a && b && a !== b);
    assert.deepEqual(set.early().map((dialog) => dialog.id.remoteTag), ['a', 'b']);
    assert.equal(a.id.callId, b.id.callId);
    assert.equal(a.id.localTag, 'alice-tag');
    assert.equal(b.remoteTarget.host, 'b.example.com');
  });

  it('a 2xx confirms its fork\'s dialog; the others stay early until the INVITE is complete, then end', () => {
    const offer = invite();
    const set = new UacDialogSet(offer);
    set.receiveResponse(fromFork(offer, 180, 'a'));
    set.receiveResponse(fromFork(offer, 180, 'b'));
    const b = set.receiveResponse(fromFork(offer, 200, 'b'));
    assert.equal(b?.state, 'confirmed');
    assert.equal(set.get('a')?.state, 'early');
    set.inviteCompleted();
    assert.equal(set.get('a')?.state, 'terminated');
    assert.deepEqual(set.confirmed().map((dialog) => dialog.id.remoteTag), ['b']);
  });

  it('a 2xx from a fork never heard before creates a confirmed dialog; two 2xx give two dialogs', () => {
    const offer = invite();
    const set = new UacDialogSet(offer);
    set.receiveResponse(fromFork(offer, 200, 'x'));
    set.receiveResponse(fromFork(offer, 200, 'y'));
    assert.deepEqual(set.confirmed().map((dialog) => dialog.id.remoteTag), ['x', 'y']);
  });

  it('a non-2xx final response ends every early dialog (§12.3) and creates none', () => {
    const offer = invite();
    const set = new UacDialogSet(offer);
    set.receiveResponse(fromFork(offer, 180, 'a'));
    set.receiveResponse(fromFork(offer, 180, 'b'));
    assert.equal(set.receiveResponse(fromFork(offer, 486, 'c')), undefined);
    assert.deepEqual(set.dialogs().map((dialog) => dialog.state), ['terminated', 'terminated']);
  });

  it('belongs to an INVITE', () => {
    assert.throws(() => new UacDialogSet(request({ method: 'OPTIONS' })), TypeError);
  });
});

describe('DialogRegistry (RFC 3261 §12.2.2)', () => {
  function confirmed() {
    const offer = invite();
    const set = new UacDialogSet(offer);
    const dialog = set.receiveResponse(fromFork(offer, 200, 'bob-tag'));
    assert.ok(dialog);
    const registry = new DialogRegistry();
    registry.add(dialog);
    return { registry, dialog };
  }

  function fromBob(method: string, seq: number, toTag = 'alice-tag'): SipRequest {
    return request({ method, seq, fromTag: 'bob-tag', toTag });
  }

  it('a request without To tag is outside any dialog', () => {
    assert.deepEqual(confirmed().registry.dispatch(request({ method: 'INVITE' })), { kind: 'outside' });
  });

  it('routes a request to its dialog with the CSeq verdict', () => {
    const { registry, dialog } = confirmed();
    const first = registry.dispatch(fromBob('INFO', 10));
    assert.equal(first.kind, 'dialog');
    assert.equal(first.kind === 'dialog' && first.dialog, dialog);
    const stale = registry.dispatch(fromBob('INFO', 9));
    assert.deepEqual(stale.kind === 'dialog' && stale.verdict, { accept: false, status: 500, reason: 'CSeq out of order', headers: [] });
  });

  it('an unknown To tag gets 481, except an ACK which is never answered', () => {
    const { registry } = confirmed();
    assert.deepEqual(registry.dispatch(fromBob('BYE', 1, 'other')), { kind: 'unknown', status: 481, respond: true });
    assert.deepEqual(registry.dispatch(fromBob('ACK', 1, 'other')), { kind: 'unknown', status: 481, respond: false });
  });

  it('finds the dialog of a response, forgets terminated dialogs', () => {
    const { registry, dialog } = confirmed();
    const bye = dialog.createRequest('BYE');
    const ok = createResponse(bye, 200);
    assert.equal(registry.findForResponse(ok), dialog);
    dialog.receiveResponse(bye, ok);
    assert.equal(registry.findForResponse(ok), undefined);
    assert.equal(registry.size, 0);
    assert.equal(registry.dispatch(fromBob('BYE', 50)).kind, 'unknown');
  });

  it('remove() forgets a dialog', () => {
    const { registry, dialog } = confirmed();
    registry.remove(dialog);
    assert.equal(registry.size, 0);
  });
});
