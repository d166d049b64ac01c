/**
 * Twilio `<Say voice language>` → an eSpeak NG voice ("<language>+<variant>").
 *
 * Twilio's voices name a gender (man, woman, alice) or an Amazon Polly / Google voice, which also
 * implies a language. eSpeak has one voice per language and gender variants (m1…m7, f1…f5); we use
 * m3 and f3, the clearest of each at telephone bandwidth. A language eSpeak lacks falls back to its
 * primary subtag, then to American English, so a `<Say>` is never silent for want of a voice.
 */
export type SpeechGender = 'male' | 'female';

export interface EspeakVoice {
  /** eSpeak language voice, e.g. "en-us", "fr-fr", "cmn". */
  language: string;
  gender: SpeechGender;
  /** The `-v` argument: "en-us+f3". */
  name: string;
}

/** Languages of the eSpeak NG build in the `espeak-ng` package (`espeak-ng --voices`). */
const espeakLanguages = new Set(
  (
    'af am an ar as az ba be bg bn bpy bs ca cmn cs cv cy da de el en-029 en-gb en-gb-scotland en-gb-x-rp ' +
    'en-us eo es es-419 et eu fa fi fr-be fr-ch fr-fr ga gd gn grc gu hak haw he hi hr ht hu hy hyw ia id io ' +
    'is it ja jbo ka kk kl kn ko kok ku ky la lb lfn lt ltg lv mi mk ml mr ms mt mto my nb nci ne nl nog om ' +
    'or pa pap piqd pl pt pt-br py qdb qu quc qya ro ru sd shn si sjn sk sl smj sq sr sv sw ta te th tk tn ' +
    'tr tt ug uk ur uz vi yue'
  ).split(' '),
);

/** Twilio language tags whose eSpeak voice is not simply the tag or its primary subtag. */
const languageAliases: Readonly<Record<string, string>> = {
  en: 'en-us',
  'en-ca': 'en-us',
  'en-au': 'en-gb',
  'en-nz': 'en-gb',
  'en-ie': 'en-gb',
  'en-in': 'en-gb',
  'en-za': 'en-gb',
  'en-gb-wls': 'en-gb',
  fr: 'fr-fr',
  'fr-ca': 'fr-fr',
  'es-mx': 'es-419',
  'es-us': 'es-419',
  'zh-cn': 'cmn',
  'zh-tw': 'cmn',
  'cmn-cn': 'cmn',
  'zh-hk': 'yue',
  'yue-hk': 'yue',
  'pt-br': 'pt-br',
  'nb-no': 'nb',
  'no-no': 'nb',
  'arb': 'ar',
};

/** Amazon Polly voices Twilio offers: gender and the language each speaks. */
const pollyVoices: Readonly<Record<string, readonly [SpeechGender, string]>> = {
  joanna: ['female', 'en-US'], salli: ['female', 'en-US'], kimberly: ['female', 'en-US'],
  kendra: ['female', 'en-US'], ivy: ['female', 'en-US'], ruth: ['female', 'en-US'], danielle: ['female', 'en-US'],
  matthew: ['male', 'en-US'], joey: ['male', 'en-US'], justin: ['male', 'en-US'], kevin: ['male', 'en-US'],
  stephen: ['male', 'en-US'], gregory: ['male', 'en-US'],
  amy: ['female', 'en-GB'], emma: ['female', 'en-GB'], brian: ['male', 'en-GB'], arthur: ['male', 'en-GB'],
  nicole: ['female', 'en-AU'], olivia: ['female', 'en-AU'], russell: ['male', 'en-AU'],
  aditi: ['female', 'en-IN'], raveena: ['female', 'en-IN'], kajal: ['female', 'en-IN'],
  aria: ['female', 'en-NZ'], ayanda: ['female', 'en-ZA'], niamh: ['female', 'en-IE'], geraint: ['male', 'en-GB-WLS'],
  celine: ['female', 'fr-FR'], lea: ['female', 'fr-FR'], mathieu: ['male', 'fr-FR'], remi: ['male', 'fr-FR'],
  chantal: ['female', 'fr-CA'], gabrielle: ['female', 'fr-CA'], liam: ['male', 'fr-CA'],
  marlene: ['female', 'de-DE'], vicki: ['female', 'de-DE'], hans: ['male', 'de-DE'], daniel: ['male', 'de-DE'],
  conchita: ['female', 'es-ES'], lucia: ['female', 'es-ES'], enrique: ['male', 'es-ES'], sergio: ['male', 'es-ES'],
  mia: ['female', 'es-MX'], andres: ['male', 'es-MX'], lupe: ['female', 'es-US'], penelope: ['female', 'es-US'],
  miguel: ['male', 'es-US'], pedro: ['male', 'es-US'],
  carla: ['female', 'it-IT'], bianca: ['female', 'it-IT'], giorgio: ['male', 'it-IT'], adriano: ['male', 'it-IT'],
  mizuki: ['female', 'ja-JP'], kazuha: ['female', 'ja-JP'], tomoko: ['female', 'ja-JP'], takumi: ['male', 'ja-JP'],
  seoyeon: ['female', 'ko-KR'], zhiyu: ['female', 'cmn-CN'], hiujin: ['female', 'yue-HK'],
  camila: ['female', 'pt-BR'], vitoria: ['female', 'pt-BR'], ricardo: ['male', 'pt-BR'], thiago: ['male', 'pt-BR'],
  ines: ['female', 'pt-PT'], cristiano: ['male', 'pt-PT'],
  lotte: ['female', 'nl-NL'], laura: ['female', 'nl-NL'], ruben: ['male', 'nl-NL'],
  ewa: ['female', 'pl-PL'], maja: ['female', 'pl-PL'], ola: ['female', 'pl-PL'], jan: ['male', 'pl-PL'], jacek: ['male', 'pl-PL'],
  tatyana: ['female', 'ru-RU'], maxim: ['male', 'ru-RU'],
  astrid: ['female', 'sv-SE'], elin: ['female', 'sv-SE'], liv: ['female', 'nb-NO'], ida: ['female', 'nb-NO'],
  naja: ['female', 'da-DK'], sofie: ['female', 'da-DK'], mads: ['male', 'da-DK'], suvi: ['female', 'fi-FI'],
  filiz: ['female', 'tr-TR'], carmen: ['female', 'ro-RO'], dora: ['female', 'is-IS'], karl: ['male', 'is-IS'],
  gwyneth: ['female', 'cy-GB'], zeina: ['female', 'arb'], hala: ['female', 'ar-AE'], arlet: ['female', 'ca-ES'],
  jitka: ['female', 'cs-CZ'], isabelle: ['female', 'fr-BE'], lisa: ['female', 'nl-BE'], hannah: ['female', 'de-AT'],
};

const variants: Record<SpeechGender, string> = { male: 'm3', female: 'f3' };

/** The eSpeak voice for a Twilio voice and language (both optional, as in `<Say>`). */
export function espeakVoice(voice?: string, language?: string): EspeakVoice {
  const described = describeVoice(voice ?? 'man');
  const tag = language?.trim() || described.language || 'en-US';
  const espeakLanguage = espeakLanguageFor(tag);
  return { language: espeakLanguage, gender: described.gender, name: `${espeakLanguage}+${variants[described.gender]}` };
}

function describeVoice(voice: string): { gender: SpeechGender; language: string | undefined } {
  const lower = voice.trim().toLowerCase();
  if (lower === 'woman' || lower === 'alice') return { gender: 'female', language: undefined };
  if (lower.startsWith('polly.')) {
    // Polly.Joanna, Polly.Joanna-Neural, Polly.Léa: drop the engine suffix and accents.
    const name = lower.slice(6).replace(/-(neural|generative|long-form)$/, '').normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    const known = pollyVoices[name];
    return known === undefined ? { gender: 'female', language: undefined } : { gender: known[0], language: known[1] };
  }
  if (lower.startsWith('google.')) {
    // Google.en-US-Standard-C: the language is in the name; the letter says nothing fixed about gender.
    const match = /^google\.([a-z]{2,3}-[a-z]{2})-/.exec(lower);
    return { gender: 'male', language: match?.[1] };
  }
  return { gender: 'male', language: undefined };
}

function espeakLanguageFor(tag: string): string {
  const lower = tag.toLowerCase().replace(/_/g, '-');
  const alias = languageAliases[lower];
  if (alias !== undefined) return alias;
  if (espeakLanguages.has(lower)) return lower;
  const primary = lower.split('-')[0]!;
  if (primary === 'fr') return 'fr-fr';
  if (primary === 'en') return 'en-us';
  if (primary === 'zh') return 'cmn';
  return espeakLanguages.has(primary) ? primary : 'en-us';
}
