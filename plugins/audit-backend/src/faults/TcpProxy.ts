import net from 'node:net';

/**
 * A TCP proxy in front of a real server that a test can cut and restore:
 * `cut()` destroys every open connection and refuses new ones (accepted
 * and closed at once, as a crashed or fenced database looks to a client);
 * `restore()` forwards again. The listening port never changes.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private down = false;
  private server?: net.Server;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer(client => {
      if (this.down) {
        client.destroy();
        return;
      }
      const upstream = net.connect(this.targetPort, this.targetHost);
      this.sockets.add(client);
      this.sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', () => resolve()),
    );
    this.port = (this.server!.address() as net.AddressInfo).port;
    return this.port;
  }

  cut() {
    this.down = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore() {
    this.down = false;
  }

  async stop() {
    this.cut();
    await new Promise<void>(
      resolve => this.server?.close(() => resolve()) ?? resolve(),
    );
  }
}
