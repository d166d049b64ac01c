import { ErrorCodes } from '../../kernel/index.js';
import { parseSipTarget } from '../sip-uri.js';
import { sipCodecs, type MachineDetection, type SipNoun } from '../types.js';
import type { XmlElement } from '../xml/xml-tree.js';
import { AttributeReader, optional, textOf, type ReadContext } from './read-context.js';

const machineDetectionModes: readonly MachineDetection[] = ['Enable', 'DetectMessageEnd'];

/**
 * `<Sip>`: the target URI as text, and the attributes its dialect names (dialects/*.ts `sipAttributes`);
 * an attribute of another dialect is 12200 and ignored. Ranges for answering machine detection are the
 * current Twilio page's (004).
 */
export function readSip(element: XmlElement, tag: string, context: ReadContext): SipNoun | undefined {
  const allowed = new Set(context.table.sipAttributes.value);
  const reader = new AttributeReader(element, tag, context);
  const has = (name: string): boolean => allowed.has(name);
  const method = { code: ErrorCodes.dialInvalidMethod };

  const statusCallback = has('statusCallback') ? reader.nonEmpty('statusCallback') : undefined;
  const fields: Omit<SipNoun, 'noun' | 'uri'> = {
    ...optional('username', has('username') ? reader.string('username') : undefined),
    ...optional('password', has('password') ? reader.string('password') : undefined),
    ...optional('url', has('url') ? reader.nonEmpty('url') : undefined),
    method: has('method') ? reader.method('method', 'POST', method) : 'POST',
    ...optional('statusCallback', statusCallback),
    statusCallbackMethod: has('statusCallbackMethod') ? reader.method('statusCallbackMethod', 'POST', method) : 'POST',
    statusCallbackEvents: has('statusCallbackEvent')
      ? reader.callProgressEvents('statusCallbackEvent', statusCallback !== undefined)
      : statusCallback !== undefined
        ? ['completed']
        : [],
    ...optional('machineDetection', has('machineDetection') ? reader.optionalChoice('machineDetection', machineDetectionModes) : undefined),
    machineDetectionTimeout: has('machineDetectionTimeout') ? reader.integer('machineDetectionTimeout', 30, { min: 3, max: 60 }) : 30,
    machineDetectionSpeechThreshold: has('machineDetectionSpeechThreshold')
      ? reader.integer('machineDetectionSpeechThreshold', 2400, { min: 1000, max: 6000 })
      : 2400,
    machineDetectionSpeechEndThreshold: has('machineDetectionSpeechEndThreshold')
      ? reader.integer('machineDetectionSpeechEndThreshold', 1200, { min: 500, max: 5000 })
      : 1200,
    machineDetectionSilenceTimeout: has('machineDetectionSilenceTimeout')
      ? reader.integer('machineDetectionSilenceTimeout', 5000, { min: 2000, max: 10000 })
      : 5000,
    ...optional('amdStatusCallback', has('amdStatusCallback') ? reader.nonEmpty('amdStatusCallback') : undefined),
    amdStatusCallbackMethod: has('amdStatusCallbackMethod') ? reader.method('amdStatusCallbackMethod', 'POST') : 'POST',
    codecs: has('codecs') ? (reader.list('codecs', sipCodecs) ?? []) : [],
    ...optional('sessionTimeout', has('sessionTimeout') ? readSessionTimeout(reader) : undefined),
    ...optional('name', has('name') ? reader.nonEmpty('name') : undefined),
  };
  if (fields.machineDetection !== undefined && !context.enhancedSip) {
    // Twilio 004: "Answering Machine Detection on requires Enhanced Programmable SIP Features".
    context.problems.warning(ErrorCodes.schemaValidationWarning, reader.place('machineDetection'), 'machineDetection on <Sip> needs an account with enhanced SIP; it is ignored');
    delete fields.machineDetection;
  }
  reader.finish();
  const uri = parseSipTarget(
    textOf(element),
    {
      defaultTransport: context.table.defaultTransport.value,
      userlessDialsCalledNumber: context.table.userlessTargetDialsCalledNumber.value,
    },
    element,
    context.problems,
  );
  if (uri === undefined) return undefined;
  return { noun: 'sip', uri, ...fields };
}

/** cXML 002: "If 0 or unset, SignalWire will pick the default". */
function readSessionTimeout(reader: AttributeReader): number | undefined {
  const value = reader.integer('sessionTimeout', 0, { min: 0, max: 86_400 });
  return value === 0 ? undefined : value;
}
