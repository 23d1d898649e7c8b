// A process that only runs, until killed (a live pid for a lock file written by the test).
process.send({ type: 'ready', pid: process.pid });
setInterval(() => {}, 1000);
