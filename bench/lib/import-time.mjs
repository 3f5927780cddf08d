// Child of the start-up bench: imports the given modules one after another in this fresh process and
// prints how long each import took (so each figure is what that module adds to what came before it).
const specs = JSON.parse(process.argv[2]);
// The first import of a process also sets up the ES module loader: pay that before measuring.
await import('data:text/javascript,export default 0');
const times = [];
for (const spec of specs) {
  const started = process.hrtime.bigint();
  await import(spec);
  times.push(Number(process.hrtime.bigint() - started) / 1e6);
}
process.stdout.write(`${JSON.stringify(times)}\n`);
