/** SMS and voice sends run on their own queue so one per-sender rate limit applies to them (A3). */
export const phoneTaskQueue = (mainQueue: string) => `${mainQueue}-phone`;
