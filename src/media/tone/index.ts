export { ringbackPlan, ringbackPlans, type TonePlan } from './ringback-plans.js';
export { ToneGenerator } from './tone-generator.js';
