/**
 * The learning-rate schedule names: the one list LrSchedule and the train stage's `schedule`
 * param derive from. Cheap to import. A new schedule: its name here, its formula in ./index.ts.
 */
export const SCHEDULE_NAMES = ['constant', 'step', 'cosine', 'plateau'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];
