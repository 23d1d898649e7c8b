// A child for unhandled.test.mjs: does what argv[2] says.
const step = process.argv[2];
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

if (step === 'reject-then-throw') {
  Promise.reject(Object.assign(new Error('lost promise'), { code: 'E_LOST' }));
  await tick();
  process.send({ type: 'alive-after-rejection' });
  await tick();
  setTimeout(() => {
    throw new TypeError('boom in a timer');
  }, 0);
  await new Promise(() => setTimeout(() => {}, 10_000)); // the exception ends it first
} else if (step === 'clean') {
  await Promise.resolve(1);
  process.send({ type: 'done' });
  process.disconnect();
} else if (step === 'non-error') {
  Promise.reject('just a string');
  await tick();
  process.exit(0);
} else if (step === 'hang') {
  setInterval(() => {}, 1000);
} else if (step === 'in-process') {
  // the recorder used directly, keeping the process alive after an uncaught exception
  const { recordUnhandled } = await import('../../src/faults/unhandled-recorder.mjs');
  const recorder = recordUnhandled({ exitOnException: false });
  setTimeout(() => {
    throw new Error('first');
  }, 0);
  setTimeout(() => {
    throw new Error('second');
  }, 10);
  await new Promise((resolve) => setTimeout(resolve, 100));
  process.send({ type: 'recorded', events: recorder.events.map((e) => `${e.kind}: ${e.message}`) }, () => process.exit(0));
}
