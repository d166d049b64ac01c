/**
 * <Gather> with DTMF input, as Twilio documents it:
 * - "By nesting <Say> or <Play> in your <Gather>, you can read some text or play music for your caller
 *   while waiting for their input"; the first key stops them (bargeIn).
 * - "timeout allows you to set the limit (in seconds) that Twilio will wait for the caller to press
 *   another digit … before it sends data to your action URL"; with nested prompts it starts when they
 *   end or at the first key.
 * - "finishOnKey lets you set a value that your caller can press to submit their digits"; the key is
 *   not part of Digits. "If you use an empty string, <Gather> will capture all user input and no key
 *   will end the <Gather>."
 * - numDigits: the input is submitted as soon as that many digits have been pressed.
 * - "By default, if <Gather> times out while waiting for DTMF input, it will continue on to the next
 *   TwiML instruction" (actionOnEmptyResult, which the model does not carry, defaults to false); so
 *   an empty result of any kind goes on with the next verb.
 * - With input, Twilio requests `action` with Digits, by default "the URL hosting the <Gather> TwiML".
 * Speech input is not recognised here; a Gather that asks for it still takes keys.
 */
import { abortQuietly, type TimerHandle } from '../../kernel/index.js';
import type { Gather } from '../../markup/index.js';
import { childController } from '../interruption.js';
import { prompt } from './prompts.js';
import { actionUrl, type VerbContext } from './verb-context.js';
import type { VerbOutcome } from './verb-outcome.js';

type GatherEnd = 'complete' | 'timeout' | 'interrupted';

export async function executeGather(gather: Gather, context: VerbContext, signal: AbortSignal): Promise<VerbOutcome> {
  await context.leg.answer();
  if (signal.aborted) return { kind: 'interrupted' };
  const { clock, leg } = context;

  const digits: string[] = [];
  let finishedOnKey: string | undefined;
  let timer: TimerHandle | undefined;
  let settled = false;
  let settle: (end: GatherEnd) => void = () => {};
  const ended = new Promise<GatherEnd>((resolve) => {
    settle = (end) => {
      if (settled) return;
      settled = true;
      resolve(end);
    };
  });
  const armTimeout = (): void => {
    clock.clearTimeout(timer);
    timer = clock.setTimeout(() => settle('timeout'), gather.timeout * 1000);
  };

  const prompts = childController(signal);
  const onAbort = (): void => settle('interrupted');
  signal.addEventListener('abort', onAbort, { once: true });
  const stopListening = leg.onDigit((digit) => {
    if (settled) return;
    abortQuietly(prompts.controller);
    if (gather.finishOnKey.includes(digit)) {
      finishedOnKey = digit;
      settle('complete');
      return;
    }
    digits.push(digit);
    if (gather.numDigits !== undefined && digits.length >= gather.numDigits) {
      settle('complete');
      return;
    }
    armTimeout();
  });

  try {
    for (const child of gather.children) {
      if (settled || prompts.controller.signal.aborted) break;
      if ((await prompt(child, context, prompts.controller.signal)) === 'interrupted') break;
    }
    // The prompts are over (or a key stopped them, which armed the timeout already).
    if (!settled && timer === undefined) armTimeout();
    const end = await ended;
    if (end === 'interrupted') return { kind: 'interrupted' };
    if (digits.length === 0) return { kind: 'next' };
    const url = actionUrl(gather.action, context.documentUrl);
    if (url === undefined) return { kind: 'next' };
    return {
      kind: 'request',
      url,
      method: gather.method,
      result: { verb: 'gather', digits: digits.join(''), ...(finishedOnKey === undefined ? {} : { finishedOnKey }) },
      follow: true,
    };
  } finally {
    stopListening();
    clock.clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    prompts.release();
    abortQuietly(prompts.controller);
  }
}
