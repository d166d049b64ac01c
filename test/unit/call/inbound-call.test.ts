import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admitInbound, type InboundInvite } from '../../../src/call/index.js';
import type { AccountConfig, RouteConfig } from '../../../src/config/index.js';

const account: AccountConfig = { sid: 'AC0123456789abcdef0123456789abcdef', authToken: 'token', enhancedSip: true };
const route: RouteConfig = {
  match: { kind: 'to', value: '+15551230000' },
  account: account.sid,
  voiceUrl: 'http://127.0.0.1:3000/voice',
  voiceMethod: 'POST',
  voiceFallbackMethod: 'POST',
  statusCallbackMethod: 'POST',
  dialect: 'twiml',
};

function invite(to: string, sourceIp = '192.0.2.10'): InboundInvite {
  return {
    requestUser: to,
    requestHost: 'dialtone.example.com',
    toUser: to,
    from: '+15550001111',
    to,
    sip: { callId: 'c1', sourceIp, domain: 'dialtone.example.com', xHeaders: [] },
  };
}

describe('admitInbound', () => {
  it('admits a matching call with its route and account', () => {
    assert.deepEqual(admitInbound(invite('+15551230000'), { routes: [route], accounts: [account] }), { admitted: true, route, account });
  });

  it('answers 404 when no route matches', () => {
    assert.deepEqual(admitInbound(invite('+15559999999'), { routes: [route], accounts: [account] }), {
      admitted: false,
      statusCode: 404,
      reason: 'Not Found',
    });
  });

  it('answers 403 to a source the configuration does not allow, before looking at routes', () => {
    const rules = { routes: [route], accounts: [account], isSourceAllowed: (ip: string) => ip.startsWith('10.') };
    assert.equal(admitInbound(invite('+15559999999', '192.0.2.10'), rules).admitted, false);
    assert.deepEqual(admitInbound(invite('+15559999999', '192.0.2.10'), rules), { admitted: false, statusCode: 403, reason: 'Forbidden' });
    assert.equal(admitInbound(invite('+15551230000', '10.1.1.1'), rules).admitted, true);
  });

  it('a route without an account runs under the first account', () => {
    const { account: _unused, ...anyAccount } = route;
    const admission = admitInbound(invite('+15551230000'), { routes: [anyAccount], accounts: [account] });
    assert.equal(admission.admitted && admission.account.sid, account.sid);
  });
});
