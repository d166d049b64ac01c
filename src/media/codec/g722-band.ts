/**
 * State and adaptation shared by the G.722 encoder and decoder: one sub-band ADPCM predictor
 * (ITU-T G.722 §3.6, blocks 2–4 of Figures 7–8) and the tables of G.722 Tables 6–19.
 * All arithmetic is the 16-bit fixed point of the Recommendation; `sat` is its LIMIT operation.
 */

/** Saturates to the 16-bit range (G.722 §3.6 "limit"). */
export function sat(value: number): number {
  return value > 32767 ? 32767 : value < -32768 ? -32768 : value;
}

/** QMF coefficients h0..h11 (G.722 Table 11); the 24-tap filter is symmetric. */
export const QMF_COEFFS = Int32Array.of(3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11);

/** Inverse 4-bit lower-band quantiser output, QQ4 scaled and signed (G.722 Table 14, used by INVQAL). */
export const QM4 = Int32Array.of(0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0);

/** Inverse 6-bit lower-band quantiser output (G.722 Table 15, used by INVQBL in the decoder). */
export const QM6 = Int32Array.of(
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
  24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
  4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
);

/** Inverse 2-bit higher-band quantiser output (G.722 Table 16). */
export const QM2 = Int32Array.of(-7408, -1616, 7408, 1616);

/** Lower-band log scale factor multipliers WL, indexed through RIL4 (G.722 Table 17). */
const WL = Int32Array.of(-60, -30, 58, 172, 334, 538, 1198, 3042);
const RL42 = Int32Array.of(0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0);
/** Higher-band log scale factor multipliers WH, indexed through IH2 (G.722 Table 18). */
const WH = Int32Array.of(0, -214, 798);
const RH2 = Int32Array.of(2, 1, 2, 1);
/** Inverse log base 2 table ILB (G.722 Table 19). */
const ILB = Int32Array.of(
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
);

/** One sub-band's predictor: two poles (A), six zeros (B) and the scale factor (G.722 §3.6). */
export class G722Band {
  /** Predicted signal S (PREDIC). */
  s = 0;
  /** Pole section output SP and zero section output SZ. */
  sp = 0;
  sz = 0;
  /** Log scale factor NB and linear scale factor DET (SCALEL/SCALEH). */
  nb = 0;
  det: number;
  private readonly r = new Int32Array(3);
  private readonly p = new Int32Array(3);
  private readonly a = new Int32Array(3);
  private readonly ap = new Int32Array(3);
  private readonly d = new Int32Array(7);
  private readonly b = new Int32Array(7);
  private readonly bp = new Int32Array(7);

  constructor(lower: boolean) {
    // G.722 §6.2 reset: DETL = 32, DETH = 8.
    this.det = lower ? 32 : 8;
  }

  /** LOGSCL/SCALEL (lower band, G.722 §3.6.3) from the 4-bit index RIL. */
  adaptLowerScale(ril: number): void {
    let nb = ((this.nb * 127) >> 7) + (WL[RL42[ril] as number] as number);
    nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
    this.nb = nb;
    this.det = scale(nb, 8);
  }

  /** LOGSCH/SCALEH (higher band, G.722 §3.6.4) from the 2-bit index IH. */
  adaptHigherScale(ih: number): void {
    let nb = ((this.nb * 127) >> 7) + (WH[RH2[ih] as number] as number);
    nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
    this.nb = nb;
    this.det = scale(nb, 10);
  }

  /**
   * Block 4 (G.722 §3.6.5–3.6.9): reconstruct, adapt the pole and zero predictors with the
   * quantised difference `dq`, and compute the next prediction S.
   */
  update(dq: number): void {
    const { r, p, a, ap, d, b, bp } = this;
    // RECONS and PARREC
    d[0] = dq;
    r[0] = sat(this.s + dq);
    p[0] = sat(this.sz + dq);

    // UPPOL2: second pole coefficient, sign comparisons of PLT with PLT1 and PLT2.
    const sg0 = p[0] >> 15;
    const sg1 = (p[1] as number) >> 15;
    const sg2 = (p[2] as number) >> 15;
    const wd1 = sat((a[1] as number) << 2);
    let wd2 = sg0 === sg1 ? -wd1 : wd1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (wd2 >> 7) + (sg0 === sg2 ? 128 : -128);
    wd3 += ((a[2] as number) * 32512) >> 15;
    ap[2] = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;

    // UPPOL1: first pole coefficient, limited to 15360 - |APL2| for stability.
    let ap1 = sat((sg0 === sg1 ? 192 : -192) + (((a[1] as number) * 32640) >> 15));
    const limit = sat(15360 - (ap[2] as number));
    if (ap1 > limit) ap1 = limit;
    else if (ap1 < -limit) ap1 = -limit;
    ap[1] = ap1;

    // UPZERO: sign-sign adaptation of the six zero coefficients.
    const step = dq === 0 ? 0 : 128;
    const sgd = dq >> 15;
    for (let i = 1; i < 7; i++) {
      const wd = (d[i] as number) >> 15 === sgd ? step : -step;
      bp[i] = sat(wd + (((b[i] as number) * 32640) >> 15));
    }

    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = d[i - 1] as number;
      b[i] = bp[i] as number;
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1] as number;
      p[i] = p[i - 1] as number;
      a[i] = ap[i] as number;
    }

    // FILTEP
    const r1 = sat((r[1] as number) * 2);
    const r2 = sat((r[2] as number) * 2);
    this.sp = sat((((a[1] as number) * r1) >> 15) + (((a[2] as number) * r2) >> 15));

    // FILTEZ
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += ((b[i] as number) * sat((d[i] as number) * 2)) >> 15;
    this.sz = sat(sz);

    // PREDIC
    this.s = sat(this.sp + this.sz);
  }
}

/** SCALEL/SCALEH: DET = ILB[NB bits 6..10] shifted by NB's integer part, times 4. */
function scale(nb: number, shiftBase: number): number {
  const wd1 = (nb >> 6) & 31;
  const wd2 = shiftBase - (nb >> 11);
  const ilb = ILB[wd1] as number;
  return (wd2 < 0 ? ilb << -wd2 : ilb >> wd2) << 2;
}
