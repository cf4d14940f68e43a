/**
 * The spawn helper's program: a small Node process that mailtrail starts (spawnHelper.ts) so
 * that the daemon, a large process, never forks: each `run` request is started here with the
 * command relays' runner (runCommand.ts: argv, no shell, own process group, time limit), its
 * stdin fed from the `data` chunks that follow, and its outcome sent back as `exit`. An
 * `abort` (the message could not be read) kills the command before it sees end of input.
 * It runs with mailtrail's uid and gid; when mailtrail goes away (the channel closes) it
 * finishes the runs in progress and exits.
 */
import { PassThrough } from 'node:stream';
import { runCommand } from './runCommand.js';
import { fromWireError, toWireExit, type FromHelper, type ToHelper } from './spawnProtocol.js';

const inputs = new Map<number, PassThrough>();

function send(message: FromHelper): void {
  if (process.connected) process.send!(message);
}

function start(request: Extract<ToHelper, { t: 'run' }>): void {
  const input = new PassThrough();
  input.on('error', () => undefined); // an abort: runCommand reads the error from its iterator
  inputs.set(request.id, input);
  if (request.input.byteLength > 0) input.write(bytes(request.input));
  if (request.end) input.end();
  void runCommand({
    program: request.program,
    args: request.args,
    header: '',
    content: () => input,
    timeout: request.timeout,
    env: request.env,
    ...(request.killGrace === undefined ? {} : { killGrace: request.killGrace }),
  }).then((exit) => {
    inputs.delete(request.id);
    input.destroy();
    send({ t: 'exit', id: request.id, exit: toWireExit(exit) });
  });
}

const bytes = (data: Uint8Array): Buffer => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

process.on('message', (message: ToHelper) => {
  switch (message.t) {
    case 'run':
      return start(message);
    case 'data':
      // After the command has ended its input is gone: later chunks are dropped.
      inputs
        .get(message.id)
        ?.write(Buffer.from(message.chunk.buffer, message.chunk.byteOffset, message.chunk.byteLength));
      return;
    case 'end':
      inputs.get(message.id)?.end();
      return;
    case 'abort':
      inputs.get(message.id)?.destroy(fromWireError(message.error));
      return;
  }
});
// mailtrail is gone: the runs in progress finish (their children keep the loop alive), then we exit.
process.on('disconnect', () => undefined);
