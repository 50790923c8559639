import { GOALS } from '../../nodes/oracle/goal-oracle';

/** What a campaign attacks: one of the seven security goals, or availability (jamming, flooding). */
export const CAMPAIGN_GOALS = [...GOALS, 'availability'] as const;
export type CampaignGoal = (typeof CAMPAIGN_GOALS)[number];
