import { test } from 'node:test';
import assert from 'node:assert/strict';
import { espeakVoice } from '../../../../src/media/speech/index.js';

test('Twilio voice and language map to eSpeak voices and gender variants', () => {
  const cases: [string | undefined, string | undefined, string][] = [
    [undefined, undefined, 'en-us+m3'],
    ['man', 'en-US', 'en-us+m3'],
    ['woman', 'en-GB', 'en-gb+f3'],
    ['alice', 'fr-FR', 'fr-fr+f3'],
    ['alice', 'de-DE', 'de+f3'],
    ['man', 'es-ES', 'es+m3'],
    ['alice', 'es-MX', 'es-419+f3'],
    ['alice', 'pt-BR', 'pt-br+f3'],
    ['alice', 'pt-PT', 'pt+f3'],
    ['alice', 'zh-CN', 'cmn+f3'],
    ['alice', 'zh-HK', 'yue+f3'],
    ['alice', 'ja-JP', 'ja+f3'],
    ['alice', 'nb-NO', 'nb+f3'],
    ['alice', 'en-AU', 'en-gb+f3'],
    ['alice', 'fr-CA', 'fr-fr+f3'],
    ['man', 'en', 'en-us+m3'],
  ];
  for (const [voice, language, expected] of cases) {
    assert.equal(espeakVoice(voice, language).name, expected, `${voice} ${language}`);
  }
});

test('Polly voices give their gender and, without a language, their own language', () => {
  assert.equal(espeakVoice('Polly.Joanna').name, 'en-us+f3');
  assert.equal(espeakVoice('Polly.Matthew-Neural').name, 'en-us+m3');
  assert.equal(espeakVoice('Polly.Brian').name, 'en-gb+m3');
  assert.equal(espeakVoice('Polly.Léa').name, 'fr-fr+f3');
  assert.equal(espeakVoice('Polly.Hans').name, 'de+m3');
  assert.equal(espeakVoice('Polly.Mizuki').name, 'ja+f3');
  assert.equal(espeakVoice('Polly.Joanna', 'es-ES').name, 'es+f3', 'an explicit language wins');
  assert.equal(espeakVoice('Polly.Unheardof').gender, 'female');
});

test('Google voices give their language; unknown languages fall back to a subtag, then en-US', () => {
  assert.equal(espeakVoice('Google.it-IT-Standard-A').language, 'it');
  assert.equal(espeakVoice('man', 'sv-SE').language, 'sv');
  assert.equal(espeakVoice('man', 'xx-YY').language, 'en-us');
  assert.equal(espeakVoice('man', 'EN_gb').language, 'en-gb');
});
