/**
 * Call screening (`<Sip url>`, `<Number url>`): the screening document runs on the answered callee
 * before run-dial bridges it (CallScreening of call/dial over real legs).
 */
export { createCallScreening, type CallScreeningOptions, type EngineCallScreening } from './call-screening.js';
