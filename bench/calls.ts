// The evaluator calls the bench compares through the guard and directly in the page
// (shared by the page and the Node runner, which must not load the page's module).
import type { StageStats } from './stats.ts';

export const CALLS = ['imageEmbedding', 'textEmbedding', 'rewardScore'] as const;
export type Call = (typeof CALLS)[number];
export type CallStats = Record<Call, StageStats>;
