import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRoute } from '../../../src/call/routing.js';
import type { RouteConfig } from '../../../src/config/index.js';

const route = (match: RouteConfig['match'], voiceUrl: string): RouteConfig => ({
  match,
  voiceUrl,
  voiceMethod: 'POST',
  voiceFallbackMethod: 'POST',
  statusCallbackMethod: 'POST',
  dialect: 'twiml',
});

const routes = [
  route({ kind: 'to', value: '+15551230000' }, 'http://app/number'),
  route({ kind: 'user', value: 'support' }, 'http://app/support'),
  route({ kind: 'domain', value: 'pbx.example.com' }, 'http://app/pbx'),
  route({ kind: 'any' }, 'http://app/any'),
];

test('the first matching route wins, by number, user, domain, then anything', () => {
  assert.equal(findRoute(routes, { requestUser: '+15551230000', requestHost: 'x' })?.voiceUrl, 'http://app/number');
  assert.equal(findRoute(routes, { requestUser: 'x', requestHost: 'x', toUser: '+1 (555) 123-0000' })?.voiceUrl, 'http://app/number');
  assert.equal(findRoute(routes, { requestUser: 'support', requestHost: 'pbx.example.com' })?.voiceUrl, 'http://app/support');
  assert.equal(findRoute(routes, { requestUser: 'sales', requestHost: 'PBX.example.com' })?.voiceUrl, 'http://app/pbx');
  assert.equal(findRoute(routes, { requestHost: '127.0.0.1' })?.voiceUrl, 'http://app/any');
});

test('no route, no application', () => {
  assert.equal(findRoute(routes.slice(0, 3), { requestUser: 'sales', requestHost: 'other.example' }), undefined);
});
