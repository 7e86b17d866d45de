import { AlwaysOnSampler, ParentBasedSampler, type Sampler } from '@opentelemetry/sdk-trace';

/**
 * The services' sampler (parent-based, always on at the root) that notes the name of every span it
 * is asked about: a test can tell that unsampled work did not even ask.
 */
export function countingSampler(asked: string[]): Sampler {
  const parentBased = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  return {
    shouldSample: (...args) => {
      asked.push(args[2]);
      return parentBased.shouldSample(...args);
    },
    toString: () => 'counting parent-based',
  };
}
