/**
 * Where a worker's gang member is reached by the other members: its address (`--address`, else
 * MLC_DIST_HOST, else the first non-loopback IPv4 address, else 127.0.0.1) and, for rank 0, the
 * port of the c10d TCPStore it serves (MLC_DIST_PORT, else a free port the OS picks).
 */
import net from 'node:net';
import os from 'node:os';
import { readEnv, readEnvPositiveInt } from '../../../environment.ts';

/** This worker's address for gang members: the flag, else MLC_DIST_HOST, else a guess. */
export function gangAddress(flag?: string): string {
  return flag || readEnv('MLC_DIST_HOST') || defaultAddress();
}

/** The first non-internal IPv4 address (what other machines most likely reach), else loopback. */
function defaultAddress(): string {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

/** The TCPStore port rank 0 serves on `host`: MLC_DIST_PORT, else a free one. */
export async function storePort(host: string): Promise<number> {
  const fixed = readEnvPositiveInt('MLC_DIST_PORT');
  if (fixed) return fixed;
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', (e) =>
      reject(
        new Error(
          `cannot open a port on ${host} for the c10d store (${e.message}): is it an address of this machine? Set MLC_DIST_HOST or the worker's --address`,
        ),
      ),
    );
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
