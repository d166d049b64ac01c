/**
 * RFC 2822 §3.3 date-time in UTC, the form Twilio prints in JSON dates and in the Timestamp of
 * callbacks: `Mon, 16 Aug 2010 03:45:01 +0000`. (Date#toUTCString gives the same fields with "GMT",
 * an obsolete zone that RFC 2822 §4.3 only allows readers to accept.)
 */
export function formatRfc2822(epochMs: number): string {
  return new Date(epochMs).toUTCString().replace(/GMT$/, '+0000');
}
