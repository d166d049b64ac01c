import { G722Band, QM2, QM4, QM6, QMF_COEFFS, sat } from './g722-band.js';

/**
 * ITU-T G.722 sub-band ADPCM decoder, 64 kbit/s mode (mode 1): each byte becomes two 16 kHz samples.
 * Stateful across calls.
 */
export class G722Decoder {
  private readonly low = new G722Band(true);
  private readonly high = new G722Band(false);
  /** Receive QMF delay line (G.722 §4.4). */
  private readonly x = new Int32Array(24);

  /** Decodes `bytes` into `out` (2 samples per byte); returns the samples written. */
  decode(bytes: Uint8Array, out: Int16Array): number {
    const { low, high, x } = this;
    const n = Math.min(bytes.length, out.length >> 1);
    for (let j = 0; j < n; j++) {
      const code = bytes[j] as number;
      const ilr = code & 0x3f;
      const ih = (code >> 6) & 0x03;

      // Block 5L INVQBL and RECONS: the output uses all 6 bits (mode 1).
      let rlow = low.s + ((low.det * (QM6[ilr] as number)) >> 15);
      // Block 6L LIMIT
      rlow = rlow > 16383 ? 16383 : rlow < -16384 ? -16384 : rlow;

      // Block 2L INVQAL: the predictor is driven by the 4-bit core only (G.722 §4.2).
      const ril = ilr >> 2;
      const dlowt = (low.det * (QM4[ril] as number)) >> 15;
      low.adaptLowerScale(ril);
      low.update(dlowt);

      // Block 2H INVQAH, RECONS, LIMIT, then the higher band's adaptation.
      const dhigh = (high.det * (QM2[ih] as number)) >> 15;
      let rhigh = dhigh + high.s;
      rhigh = rhigh > 16383 ? 16383 : rhigh < -16384 ? -16384 : rhigh;
      high.adaptHigherScale(ih);
      high.update(dhigh);

      // Receive QMF (G.722 §4.4): recombine the bands into two 16 kHz samples.
      for (let i = 0; i < 22; i++) x[i] = x[i + 2] as number;
      x[22] = rlow + rhigh;
      x[23] = rlow - rhigh;
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += (x[2 * i] as number) * (QMF_COEFFS[i] as number);
        xout1 += (x[2 * i + 1] as number) * (QMF_COEFFS[11 - i] as number);
      }
      out[2 * j] = sat(xout1 >> 11);
      out[2 * j + 1] = sat(xout2 >> 11);
    }
    return 2 * n;
  }
}
