import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParamList, parseMessage, parseUri, serializeMessage } from '../../../../src/sip/message/index.js';

test('a ParamList keeps insertion order, replaces a value in place and deletes like a Map', () => {
  const params = new ParamList();
  assert.equal(params.size, 0);
  assert.equal(params.get('tag'), undefined);
  params.set('transport', 'tcp').set('lr', null).set('maddr', '192.0.2.1');
  params.set('transport', 'udp');
  assert.deepEqual([...params], [['transport', 'udp'], ['lr', null], ['maddr', '192.0.2.1']]);
  assert.equal(params.get('lr'), null, 'a flag parameter reads as null, not undefined');
  assert.equal(params.has('lr'), true);
  assert.equal(params.delete('lr'), true);
  assert.equal(params.delete('lr'), false);
  assert.deepEqual([...params], [['transport', 'udp'], ['maddr', '192.0.2.1']]);
  params.delete('transport');
  params.delete('maddr');
  assert.equal(params.size, 0);
  params.set('tag', 'a');
  assert.deepEqual([...params], [['tag', 'a']], 'a list emptied by deletes takes entries again');
});

test('a copy shares nothing with its source, and two empty lists share nothing either', () => {
  const source = new ParamList([['branch', 'z9hG4bK1'], ['rport', null]]);
  const copy = new ParamList(source);
  copy.set('received', '192.0.2.7');
  copy.set('branch', 'z9hG4bK2');
  assert.deepEqual([...source], [['branch', 'z9hG4bK1'], ['rport', null]]);
  assert.deepEqual([...copy], [['branch', 'z9hG4bK2'], ['rport', null], ['received', '192.0.2.7']]);

  const first = new ParamList();
  const second = new ParamList(first);
  first.set('tag', 'x');
  assert.equal(second.has('tag'), false);
  assert.deepEqual([...new ParamList(new Map([['user', 'phone']]))], [['user', 'phone']], 'a Map is copied too');
});

test('a ParamList answers every operation as a Map does, over random sequences, iteration and forEach included', () => {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const names = ['tag', 'branch', 'lr', 'transport', 'rport', 'user'];
  for (let round = 0; round < 200; round++) {
    const list = new ParamList();
    const map = new Map<string, string | null>();
    for (let step = 0; step < 30; step++) {
      const name = names[next(names.length)]!;
      const op = next(4);
      if (op < 2) {
        const value = next(3) === 0 ? null : `v${next(5)}`;
        list.set(name, value);
        map.set(name, value);
      } else if (op === 2) {
        assert.equal(list.delete(name), map.delete(name));
      } else {
        assert.equal(list.get(name), map.get(name));
        assert.equal(list.has(name), map.has(name));
      }
      assert.equal(list.size, map.size);
      assert.deepEqual([...list], [...map]);
      const visited: Array<[string, string | null]> = [];
      list.forEach((value, name) => visited.push([name, value]));
      assert.deepEqual(visited, [...map]);
    }
  }
});

test('parsed messages and URIs carry ParamLists that serialise as they were written', () => {
  const uri = parseUri('sip:alice@example.com;transport=tcp;lr');
  assert.ok(uri?.params instanceof ParamList);
  const text =
    'INVITE sip:bob@example.com;user=phone SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK77;rport\r\n' +
    'From: "Alice" <sip:alice@example.com>;tag=a1\r\n' +
    'To: <sip:bob@example.com>\r\n' +
    'Call-ID: c1@example.com\r\n' +
    'CSeq: 1 INVITE\r\n' +
    'Contact: <sip:alice@192.0.2.1:5060;transport=udp>;expires=60\r\n' +
    'Max-Forwards: 70\r\n' +
    'Content-Length: 0\r\n\r\n';
  const parsed = parseMessage(Buffer.from(text));
  assert.ok(parsed.ok);
  const message = parsed.message;
  assert.ok(message.via[0]!.params instanceof ParamList);
  assert.deepEqual([...message.via[0]!.params], [['branch', 'z9hG4bK77'], ['rport', null]]);
  assert.equal(message.to.params.size, 0);
  const again = parseMessage(serializeMessage(message));
  assert.ok(again.ok);
  assert.deepEqual([...again.message.from.params], [['tag', 'a1']]);
  assert.equal(again.message.kind === 'request' && again.message.uri.params.get('user'), 'phone');
  assert.deepEqual(again.message.contact?.[0] !== '*' && [...(again.message.contact?.[0]?.params ?? [])], [['expires', '60']]);
});
