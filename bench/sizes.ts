/** How big each part runs: the sizes, or tiny ones (`--quick`) that only prove every part works. */
export interface Sizes {
  iris: { epochs: number };
  mnistMlp: { limit: number | undefined; epochs: number };
  mnistCnn: { limit: number | undefined; epochs: number };
  housing: { rows: number | undefined; epochs: number };
  queue: { warmup: number; sequential: number; burst: number };
  /** newVersions: jobs whose new version the serving part times on every protocol. */
  serving: { seconds: number; warmupRequests: number; connections: number[]; instances: number[]; newVersions: number };
  memory: { predictions: number; trainingJobs: number; jobEpochs: number };
  sweeps: { trials: number; epochs: number };
  artifacts: { versions: number };
  /** Epochs of the Iris model the serving part trains when the training part did not run. */
  servingIrisEpochs: number;
}

export const FULL: Sizes = {
  iris: { epochs: 300 },
  mnistMlp: { limit: undefined, epochs: 5 },
  mnistCnn: { limit: undefined, epochs: 1 },
  housing: { rows: undefined, epochs: 100 },
  queue: { warmup: 3, sequential: 100, burst: 100 },
  serving: { seconds: 10, warmupRequests: 2000, connections: [1, 16, 64], instances: [1, 256], newVersions: 5 },
  memory: { predictions: 1000, trainingJobs: 20, jobEpochs: 10 },
  sweeps: { trials: 16, epochs: 50 },
  artifacts: { versions: 50 },
  servingIrisEpochs: 300,
};

export const QUICK: Sizes = {
  iris: { epochs: 3 },
  mnistMlp: { limit: 1000, epochs: 1 },
  mnistCnn: { limit: 512, epochs: 1 },
  housing: { rows: 1000, epochs: 2 },
  queue: { warmup: 1, sequential: 10, burst: 10 },
  serving: { seconds: 1, warmupRequests: 100, connections: [1, 16, 64], instances: [1, 256], newVersions: 1 },
  memory: { predictions: 50, trainingJobs: 3, jobEpochs: 2 },
  sweeps: { trials: 4, epochs: 2 },
  artifacts: { versions: 3 },
  servingIrisEpochs: 3,
};
