/**
 * `npm run bench`: runs every benchmark in turn and prints its figures. Benchmarks measure;
 * they assert nothing (tests never assert timings). Name benches on the command line to run
 * only those: `npm run bench -- replay`. Other arguments go to the benches that read them:
 * `npm run bench -- compare --write` (mailtrail against Postfix, bench/compare.bench.ts).
 */
const benches: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  eventlogAppend: () => import('./eventlogAppend.bench.js'),
  spool: () => import('./spool.bench.js'),
  replay: () => import('./replay.bench.js'),
  smtp: () => import('./smtp.bench.js'),
  restart: () => import('./restart.bench.js'),
  cluster: () => import('./cluster.bench.js'),
};
/** Run only when named: it needs root and rewrites /etc/postfix for a while. */
const onRequest: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  compare: () => import('./compare.bench.js'),
};

const wanted = process.argv.slice(2).filter((arg) => arg in benches || arg in onRequest);
for (const [name, load] of Object.entries({ ...benches, ...onRequest })) {
  if (wanted.length ? !wanted.includes(name) : name in onRequest) continue;
  console.log(`\n== ${name} ==`);
  await (await load()).run();
}
