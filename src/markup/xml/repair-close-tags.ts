/**
 * didML only: DIDforSale's own examples write `<sip>sip.example.com</Say>`. Before XML parsing, a
 * closing tag that names a known verb but matches no open element is rewritten to close the element
 * that is open, so the document means what its authors meant; every repair is reported.
 * Anything this scanner does not understand is left alone for the XML parser to judge.
 */
export interface CloseTagRepair {
  /** Offset of the `</` of the repaired tag in the original text. */
  offset: number;
  wrote: string;
  closes: string;
}

export function repairMismatchedCloseTags(
  text: string,
  isKnownVerb: (name: string) => boolean,
  maxDepth: number,
): { text: string; repairs: CloseTagRepair[] } {
  const stack: string[] = [];
  const repairs: CloseTagRepair[] = [];
  const pieces: string[] = [];
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    if (text.startsWith('<!--', lt)) {
      i = skipPast(text, lt + 4, '-->');
    } else if (text.startsWith('<![CDATA[', lt)) {
      i = skipPast(text, lt + 9, ']]>');
    } else if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      i = skipPast(text, lt + 2, '>');
    } else if (text.startsWith('</', lt)) {
      const gt = text.indexOf('>', lt);
      if (gt < 0) break;
      const name = text.slice(lt + 2, gt).trim();
      const open = stack[stack.length - 1];
      if (open === name) {
        stack.pop();
      } else if (open !== undefined && !stack.includes(name) && isKnownVerb(name) && isKnownVerb(open)) {
        const replacement = `</${open}`;
        const original = text.slice(lt, gt);
        // Pad with the whitespace XML allows before '>' so later columns on the line keep their place.
        pieces.push(text.slice(copied, lt), replacement.padEnd(original.length, ' '));
        copied = gt;
        repairs.push({ offset: lt, wrote: name, closes: open });
        stack.pop();
      } else {
        break; // a real nesting error: the XML parser reports it
      }
      i = gt + 1;
    } else {
      const end = startTagEnd(text, lt + 1);
      if (end < 0) break;
      const match = /^<([^\s/>]+)/.exec(text.slice(lt, Math.min(end + 1, lt + 256)));
      if (match?.[1] !== undefined && text[end - 1] !== '/') {
        // Deeper than the XML limit the parser refuses the document anyway; stopping here keeps this scan linear.
        if (stack.length >= maxDepth) break;
        stack.push(match[1]);
      }
      i = end + 1;
    }
  }
  pieces.push(text.slice(copied));
  return { text: repairs.length === 0 ? text : pieces.join(''), repairs };
}

function skipPast(text: string, from: number, terminator: string): number {
  const at = text.indexOf(terminator, from);
  return at < 0 ? text.length : at + terminator.length;
}

/** Index of the '>' ending a start tag, skipping quoted attribute values; -1 when there is none. */
function startTagEnd(text: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < text.length; i += 1) {
    const c = text[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i;
    }
  }
  return -1;
}
