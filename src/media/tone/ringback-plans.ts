/**
 * Ringback tones by country for `<Dial ringTone="…">`, from ITU-T E.180 Supplement 2 ("Various tones
 * used in national networks"). Twilio's ringTone accepts these two-letter codes (plus `us-old`). A
 * cadence lists alternating on/off durations in milliseconds and repeats.
 */
export interface TonePlan {
  /** Frequencies summed during "on" periods, in Hz. */
  frequencies: number[];
  /** Amplitude-modulation frequency (Hz) some countries use instead of a steady tone, else 0. */
  modulationHz: number;
  /** on, off, on, off, … in milliseconds; repeats. */
  cadenceMs: number[];
}

const plan = (frequencies: number[], cadenceMs: number[], modulationHz = 0): TonePlan => ({
  frequencies,
  modulationHz,
  cadenceMs,
});

const europe425 = plan([425], [1000, 4000]);
const ukStyle = plan([400, 450], [400, 200, 400, 2000]);

export const ringbackPlans: Readonly<Record<string, TonePlan>> = {
  at: europe425,
  au: plan([425], [400, 200, 400, 2000], 25),
  be: europe425,
  bg: europe425,
  br: plan([425], [1000, 4000]),
  ch: europe425,
  cl: europe425,
  cn: plan([450], [1000, 4000]),
  cz: europe425,
  de: europe425,
  dk: europe425,
  ee: europe425,
  es: plan([425], [1500, 3000]),
  fi: europe425,
  fr: plan([440], [1500, 3500]),
  gr: europe425,
  hu: plan([425], [1250, 3750]),
  il: plan([400], [1000, 3000]),
  in: plan([400], [400, 200, 400, 2000], 25),
  it: europe425,
  jp: plan([400], [1000, 2000], 16),
  lt: europe425,
  mx: plan([425], [1000, 4000]),
  my: plan([425], [400, 200, 400, 2000]),
  nl: europe425,
  no: europe425,
  nz: ukStyle,
  ph: plan([425], [1000, 4000]),
  pl: europe425,
  pt: europe425,
  ru: plan([425], [800, 3200]),
  se: europe425,
  sg: ukStyle,
  th: plan([400], [1000, 4000]),
  tw: plan([440, 480], [1000, 2000]),
  uk: ukStyle,
  us: plan([440, 480], [2000, 4000]),
  'us-old': plan([440, 480], [2000, 4000]),
  ve: europe425,
  za: plan([400, 425], [400, 200, 400, 2000]),
};

/** The plan for a ringTone value (case-insensitive, `gb` as an alias of `uk`); undefined when unknown. */
export function ringbackPlan(country: string): TonePlan | undefined {
  const key = country.toLowerCase() === 'gb' ? 'uk' : country.toLowerCase();
  return Object.hasOwn(ringbackPlans, key) ? ringbackPlans[key] : undefined;
}
