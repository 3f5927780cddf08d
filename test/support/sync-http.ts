// A blocking HTTP GET for test helpers that must stay synchronous (a scenario's state() reads the state object
// from the loopback S3 between runs). One worker thread does the fetch while the caller waits on a shared flag.
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async ({ url, headers, flag, port }) => {
  let answer;
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(10000) });
    answer = { status: res.status, body: await res.text() };
  } catch (error) {
    answer = { status: 0, body: String(error) };
  }
  port.postMessage(answer);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

let worker: Worker | undefined;

/** GET `url` (loopback only) and wait for the answer: status 0 when the request failed. */
export function getSync(url: string, headers: Record<string, string> = {}): { status: number; body: string } {
  if (!/^http:\/\/127\.\d+\.\d+\.\d+[:/]/.test(url)) throw new Error(`getSync: not a loopback URL: ${url}`);
  if (!worker) {
    worker = new Worker(WORKER, { eval: true });
    worker.unref();
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ url, headers, flag, port: port2 }, [port2]);
  if (Atomics.wait(flag, 0, 0, 15_000) === 'timed-out') throw new Error(`getSync: no answer from ${url} within 15 s`);
  const message = receiveMessageOnPort(port1);
  port1.close();
  if (!message) throw new Error(`getSync: ${url}: the worker answered nothing`);
  return message.message as { status: number; body: string };
}
