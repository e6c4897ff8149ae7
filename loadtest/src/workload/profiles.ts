/** The runbook's four load profiles (its Locust scenarios) and their ramps. k6 loads it. */

export const PROFILE_NAMES = ["full", "quick", "stress", "warmup"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Profile {
  readonly name: ProfileName;
  /** Concurrent virtual users (k6 VUs, autocannon connections); each loops without think time. */
  readonly users: number;
  /** Users started per second (the ramp). */
  readonly spawnRate: number;
  readonly durationSeconds: number;
  /** Throughput floor asserted by this profile, if any (req/s). */
  readonly minRps?: number;
  readonly purpose: string;
}

/** The runbook's four Locust scenarios, with its numbers. */
export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  full: {
    name: "full",
    users: 100,
    spawnRate: 10,
    durationSeconds: 300,
    minRps: 500,
    purpose: "production validation (runbook: 100 users, spawn 10/s, 5 m, > 500 req/s)",
  },
  quick: {
    name: "quick",
    users: 30,
    spawnRate: 5,
    durationSeconds: 60,
    purpose: "development and CI (runbook: 30 users, spawn 5/s, 1 m)",
  },
  stress: {
    name: "stress",
    users: 500,
    spawnRate: 50,
    durationSeconds: 600,
    purpose: "find the breaking point (runbook: 500 users, spawn 50/s, 10 m)",
  },
  warmup: {
    name: "warmup",
    users: 10,
    spawnRate: 5,
    durationSeconds: 30,
    purpose: "prime the cache (runbook: 10 users, spawn 5/s, 30 s)",
  },
};

export function isProfileName(value: string): value is ProfileName {
  return (PROFILE_NAMES as readonly string[]).indexOf(value) >= 0;
}

export function getProfile(name: string): Profile {
  if (!isProfileName(name)) {
    throw new Error(`unknown profile "${name}"; one of: ${PROFILE_NAMES.join(", ")}`);
  }
  return PROFILES[name];
}

export interface RampStep {
  /** Seconds after the start at which these users join. */
  readonly atSecond: number;
  readonly users: number;
}

/**
 * The ramp as whole-second steps: `spawnRate` users join every second until `users` are
 * running (the last step may be smaller). Steps at or after the end are dropped.
 */
export function rampSteps(
  profile: Pick<Profile, "users" | "spawnRate">,
  durationSeconds: number,
): RampStep[] {
  const steps: RampStep[] = [];
  for (let i = 0, started = 0; started < profile.users; i++) {
    if (i >= durationSeconds) break;
    const users = Math.min(profile.spawnRate, profile.users - started);
    steps.push({ atSecond: i, users });
    started += users;
  }
  return steps;
}

/** Seconds the ramp takes to reach all users (k6 stage 1). */
export function rampSeconds(profile: Pick<Profile, "users" | "spawnRate">): number {
  return Math.ceil(profile.users / profile.spawnRate);
}
