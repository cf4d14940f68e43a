/**
 * `npm run bench`: runs every benchmark in turn and prints its figures. Benchmarks measure;
 * they assert nothing (tests never assert timings). Name benches on the command line to run
 * only those: `npm run bench -- replay`.
 */
const benches: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  eventlogAppend: () => import('./eventlogAppend.bench.js'),
  spool: () => import('./spool.bench.js'),
  replay: () => import('./replay.bench.js'),
  smtp: () => import('./smtp.bench.js'),
  cluster: () => import('./cluster.bench.js'),
};

const wanted = process.argv.slice(2);
for (const [name, load] of Object.entries(benches)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n== ${name} ==`);
  await (await load()).run();
}
