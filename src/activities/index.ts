export function createActivities(): Record<string, (...args: never[]) => Promise<unknown>> {
  return {};
}
