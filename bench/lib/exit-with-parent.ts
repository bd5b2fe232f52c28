/**
 * Loaded with `node --import` into servers the bench did not write (the hub's CLI, Uptime Kuma) so
 * that they end with the runner, as `serve.ts` makes the bench's own targets do: the runner gives
 * them an IPC channel; when it closes (the runner stopped them, or died, even by `kill -9`), they
 * get SIGTERM — their own graceful stop — and, should that hang, exit 5 s later.
 *
 * The channel is unref'd so that it never keeps a server alive once the server has stopped.
 */
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => {
    setTimeout(() => process.exit(0), 5000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}

export {};
