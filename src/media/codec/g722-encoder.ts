import { G722Band, QM2, QM4, QMF_COEFFS, sat } from './g722-band.js';

/** Lower-band decision levels Q6 (G.722 Table 12), compared against |EL| scaled by DETL. */
const Q6 = Int32Array.of(0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0, 0);
/** 6-bit codes for negative and positive differences by interval (G.722 Table 12, ILN/ILP). */
const ILN = Int32Array.of(0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0);
const ILP = Int32Array.of(0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0);
/** Higher-band 2-bit codes (G.722 Table 13, IHN/IHP); decision level 564 (Q2). */
const IHN = Int32Array.of(0, 1, 0);
const IHP = Int32Array.of(0, 3, 2);

/**
 * ITU-T G.722 sub-band ADPCM encoder, 64 kbit/s mode (mode 1): each pair of 16 kHz samples becomes one
 * byte, 6 bits of lower band and 2 bits of higher band (G.722 §3). Stateful across calls, so feed
 * consecutive frames of one stream to the same instance.
 */
export class G722Encoder {
  private readonly low = new G722Band(true);
  private readonly high = new G722Band(false);
  /** Transmit QMF delay line (24 taps, G.722 §3.2). */
  private readonly x = new Int32Array(24);

  /** Encodes 16 kHz PCM (even length) into `out`; returns the bytes written (pcm.length / 2). */
  encode(pcm: Int16Array, out: Uint8Array): number {
    const { low, high, x } = this;
    const n = Math.min(pcm.length >> 1, out.length);
    for (let j = 0; j < n; j++) {
      // Transmit QMF: shift two samples in and split into lower and higher band (G.722 §3.2).
      for (let i = 0; i < 22; i++) x[i] = x[i + 2] as number;
      x[22] = pcm[2 * j] as number;
      x[23] = pcm[2 * j + 1] as number;
      let sumOdd = 0;
      let sumEven = 0;
      for (let i = 0; i < 12; i++) {
        sumOdd += (x[2 * i] as number) * (QMF_COEFFS[i] as number);
        sumEven += (x[2 * i + 1] as number) * (QMF_COEFFS[11 - i] as number);
      }
      const xLow = (sumEven + sumOdd) >> 14;
      const xHigh = (sumEven - sumOdd) >> 14;

      // Block 1L SUBTRA and QUANTL: 6-bit quantisation of the prediction error.
      const el = sat(xLow - low.s);
      const wdl = el >= 0 ? el : -(el + 1);
      let interval = 1;
      for (; interval < 30; interval++) {
        if (wdl < (((Q6[interval] as number) * low.det) >> 12)) break;
      }
      const ilow = el < 0 ? (ILN[interval] as number) : (ILP[interval] as number);

      // Block 2L INVQAL: the predictor only sees the 4-bit core (embedded ADPCM, G.722 §3.3).
      const ril = ilow >> 2;
      const dlow = (low.det * (QM4[ril] as number)) >> 15;
      low.adaptLowerScale(ril);
      low.update(dlow);

      // Block 1H SUBTRA and QUANTH: 2-bit quantisation.
      const eh = sat(xHigh - high.s);
      const wdh = eh >= 0 ? eh : -(eh + 1);
      const mih = wdh >= ((564 * high.det) >> 12) ? 2 : 1;
      const ihigh = eh < 0 ? (IHN[mih] as number) : (IHP[mih] as number);

      // Block 2H INVQAH, block 3H, block 4H.
      const dhigh = (high.det * (QM2[ihigh] as number)) >> 15;
      high.adaptHigherScale(ihigh);
      high.update(dhigh);

      out[j] = (ihigh << 6) | ilow;
    }
    return n;
  }
}
