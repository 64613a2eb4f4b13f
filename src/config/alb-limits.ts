// The Application Load Balancer's limits the maintenance rules live within, apart from the zod
// schema so that the release engine (and its dry run) read them without loading zod.

/** An ALB fixed response holds at most 1024 bytes. */
export const MAINTENANCE_PAGE_LIMIT_BYTES = 1024;
/** An ALB rule holds at most 5 condition values (all its conditions together). */
export const MAX_CONDITION_VALUES = 5;
